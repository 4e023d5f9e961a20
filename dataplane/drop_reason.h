// Why the data plane dropped (or did not forward) a packet. Every drop bumps
// exactly one per-lcore counter indexed by this enum; the ones that are policy
// violations also produce a ViolationRecord of the matching mgmt::EventType.
#pragma once

#include <cstdint>

namespace isogate::dataplane {

enum class DropReason : uint8_t {
  None = 0,         // not dropped
  Malformed,        // parser rejected it (truncated, inconsistent, unknown header, orphan fragment)
  UnsupportedL2,    // an ethertype the gateway does not handle (LLDP, STP, ...)
  SpoofedSource,    // source address outside the ingress port's zone
  IsolationBreach,  // source (or, on monitor ports, any) address of a physically isolated zone
  PhysicalIsolation,    // the zone pair is physically isolated
  LogicalIsolation,     // logical pair with no allowing rule (default deny)
  RuleDeny,             // a `deny` rule matched first
  IntraZoneDeny,        // same zone, no rule, intra_zone: deny
  NoZone,               // an address in no zone (no `any` zone)
  FlowCut,              // an established flow the reloaded policy no longer allows
  TcpInvalid,           // TCP without a flow that is not a SYN (allowed by policy, but not a start)
  FlowTableFull,        // a new flow allowed by policy but the connection table is full
  TtlExpired,           // TTL / hop limit would reach zero
  NoRoute,              // no route, or the route leaves through a port of another zone
  NeighbourUnresolved,  // next hop MAC unknown; the packet became an ARP request / NS
  ToGateway,            // addressed to the gateway itself and not something it answers
  ArpIgnored,           // ARP / ND that needs no answer (learned only)
  Monitor,              // received on a monitor port: inspected, never forwarded
  NoPolicy,             // no policy installed yet (fail closed)
  TxFull,               // the caller's transmit buffer for the port was full
  Count
};

inline constexpr int kDropReasonCount = static_cast<int>(DropReason::Count);

// Stable names for counters and metrics ("malformed", "spoofed-source", ...).
const char* dropReasonName(DropReason r);

}  // namespace isogate::dataplane
