// Turns one packet the kernel logged (NFLOG: the prefix naming type and rule, the packet
// from its network header) into a SPEC §4 event, with zone and rule names taken from the
// policy that is running. Pure functions, so they are tested without a kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mgmt/event.h"
#include "policy/compiled.h"

namespace isogate::gateway {

// What the ruleset wrote into the log prefix (policy/nft_ruleset.h, nftLogPrefix):
// "isogate:<type>:<rule id or ->:<detail>".
struct LogTag {
  mgmt::EventType type = mgmt::EventType::LogicalIsolation;
  int ruleId = -1;  // -1 when no rule decided
  std::string detail;
};

// nullopt for a prefix that is not one of ours.
std::optional<LogTag> decodeLogPrefix(std::string_view prefix);

// The header fields of a logged packet (IPv4 or IPv6, network header first).
struct PacketSummary {
  policy::IpAddress src, dst;
  uint8_t protocol = 0;
  std::optional<uint16_t> sport, dport;
  std::optional<uint8_t> icmpType;
};

// nullopt when the bytes are not an IPv4/IPv6 header we can read.
std::optional<PacketSummary> summarizePacket(std::span<const uint8_t> packet);

// The event for a logged packet. `inInterface` is the ingress interface name ("" unknown).
mgmt::Event violationEvent(const LogTag& tag, const PacketSummary& packet, const policy::CompiledPolicy* policy,
                           const std::string& inInterface);

}  // namespace isogate::gateway
