// What the stages of the pipeline know about one packet of a burst: the parse
// result and the decisions taken so far. A Burst is the unit every stage's
// process() works on: up to 32 mbufs from one ingress port and their metadata.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/drop_reason.h"

namespace isogate::dataplane {

class PolicyTables;

using U128 = unsigned __int128;

inline constexpr uint16_t kBurstSize = 32;
// Packets the fast lane prepares at once (several bursts: its connection-table lines are
// then fetched while earlier bursts are judged).
inline constexpr uint16_t kLaneDepth = 4 * kBurstSize;

enum class L3Kind : uint8_t { None, Ipv4, Ipv6, Arp };
enum class FragKind : uint8_t { None, First, Later };
// What happens to the packet after the pipeline.
// Held: parked in the worker's hold queue (no longer the burst's to free).
enum class Action : uint8_t { Continue, Drop, Transmit, Held };
// How the verdict for the packet was reached (for counters and tests).
enum class Path : uint8_t { None, Local, Established, Related, NewFlow, Stateless, Fragment };

struct PacketMeta {
  U128 src = 0, dst = 0;  // host order, IPv4 in the low 32 bits (as policy::IpAddress)
  // Initiator's view for classification (the packet, or the flow's first packet on a re-check).
  U128 clsSrc = 0, clsDst = 0;
  L3Kind l3 = L3Kind::None;
  FragKind frag = FragKind::None;
  Action action = Action::Continue;
  Path path = Path::None;
  DropReason reason = DropReason::None;
  uint8_t proto = 0;
  uint8_t tcpFlags = 0;
  uint8_t icmpType = 0;
  bool hasIcmp = false;
  bool hasPorts = false;   // TCP/UDP header present
  bool icmpError = false;  // an ICMP error whose embedded packet was parsed into inner*
  bool reClassify = false;
  uint8_t clsProto = 0;
  uint8_t clsIcmpType = 0;
  bool clsHasIcmp = false;
  uint16_t l2Len = 0;             // bytes before the IP/ARP header (Ethernet + VLAN tags)
  uint16_t l3Len = 0;             // IP header incl. IPv6 extension headers
  uint16_t ipLen = 0;             // IP total length from the header
  uint16_t sport = 0, dport = 0;  // host order; ICMP echo: both the identifier
  uint16_t clsDport = 0;
  uint32_t fragId = 0;
  uint16_t srcZone = 0xffff, dstZone = 0xffff;
  uint16_t outPort = 0;
  int32_t flow = -1;  // connection table position
  uint32_t rule = 0xffffffff;
  bool replyDir = false;    // packet travels responder -> initiator
  bool logFlow = false;     // a new flow of a `log: true` rule: report flow-allowed
  bool pendingNew = false;  // needs the classifier as the first packet of a flow
  // ICMP error: the embedded packet's 5-tuple (as the original sender sent it).
  U128 innerSrc = 0, innerDst = 0;
  uint16_t innerSport = 0, innerDport = 0;
  uint8_t innerProto = 0;
};

struct Burst {
  rte_mbuf* pkts[kBurstSize];
  PacketMeta meta[kBurstSize];
  uint16_t count = 0;
  uint16_t inPort = 0;
  uint64_t now = 0;                      // TSC of the burst
  const PolicyTables* tables = nullptr;  // the policy this burst is judged by

  bool isV6(int i) const { return meta[i].l3 == L3Kind::Ipv6; }
  void drop(int i, DropReason r) {
    meta[i].action = Action::Drop;
    meta[i].reason = r;
  }
  bool live(int i) const { return meta[i].action == Action::Continue; }
};

}  // namespace isogate::dataplane
