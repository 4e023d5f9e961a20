// `isogate-policy diff`: what a policy change opens or closes, per directed
// zone pair and service, not a text diff. The traffic space is cut into cells
// at every boundary either policy uses (networks, ports, ICMP types, protocols,
// schedule windows); both policies are evaluated (evaluatePolicy) on one
// packet of each cell, and adjacent cells with the same change are merged.
// Reordering rules without effect therefore reports no change.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policy/model.h"

namespace isogate::policy {

struct ReachabilityChange {
  bool opened = false;           // newly reachable (+) or newly unreachable (-)
  std::string fromZone, toZone;  // zones in the new policy for +, the old one for -
  std::string service;    // "tcp/8443", "udp/53", "icmp/echo-request", "any", "other protocols"
  std::string from, to;   // "" = the whole zone; else CIDRs joined by ", "
  std::string family;     // "IPv4"/"IPv6" when only that family of two whole zones changed, else ""
  std::string when;       // "" = at all times; else e.g. "mon-fri 18:00-20:00"
  std::string rule, ref;  // deciding rule: of the new policy for +, of the old for -
  std::string otherRule;  // the deciding rule on the other side ("" = none decided)
};

struct PolicyDiff {
  std::vector<std::string> structural;  // zones, levels, networks, isolation modes: "~ ..." lines
  std::vector<ReachabilityChange> changes;
  bool empty() const { return structural.empty() && changes.empty(); }
};

PolicyDiff diffPolicies(const Policy& oldPolicy, const Policy& newPolicy);

// One line per change; "no change in reachability" when there is none.
std::string formatDiff(const PolicyDiff& diff);
std::string formatChange(const ReachabilityChange& c);
nlohmann::json diffToJson(const PolicyDiff& diff);

}  // namespace isogate::policy
