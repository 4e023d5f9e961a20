// Matching a packet against the policy model, with the reason in words: which
// network put an address in its zone, and why a rule did or did not match.
// trace uses it to explain a verdict that evaluatePolicy computed; diff uses it
// to find which rules (and schedules) can apply to a region of traffic.
#pragma once

#include <optional>
#include <string>

#include "policy/compiled.h"
#include "policy/model.h"

namespace isogate::policy {

struct ZoneMatch {
  int zone = -1;                  // index in Policy::zones, -1 = no zone
  std::optional<Prefix> network;  // the longest network holding the address; nullopt for `any`
  Location where;                 // that network's value, or the `any` entry
};

// Longest prefix over every zone's networks, else the `any` zone.
ZoneMatch findZoneOf(const Policy& policy, const IpAddress& address);

enum class RuleMiss : uint8_t {
  None,           // the rule matches
  OtherZones,     // its from/to are not the packet's zones
  SourceOutside,  // the source is outside the rule's `from` networks
  DestinationOutside,
  ServiceMismatch,  // no service of the rule covers protocol/port/type
  ScheduleInactive,
};

struct RuleMatch {
  RuleMiss miss = RuleMiss::None;
  std::string reason;  // "service https (tcp/443) does not include tcp/22", ...
  bool matched() const { return miss == RuleMiss::None; }
};

// Everything but the schedule; `at` only shapes the reason text when the
// schedule is inactive. Zone indexes are those of findZoneOf.
RuleMatch matchRule(const Policy& policy, const Rule& rule, int fromZone, int toZone,
                    const PacketKey& packet, const LocalTime& at);

// Whether the rule's services cover the packet's protocol/port/type.
bool servicesCover(const Policy& policy, const Rule& rule, const PacketKey& packet);
bool termCovers(const ServiceTerm& term, const PacketKey& packet);

// "tcp/22", "icmp/echo-request", "proto 47" of a packet.
std::string describePacketService(const PacketKey& packet);

}  // namespace isogate::policy
