// `isogate-policy trace`: the verdict for the first packet of a flow and why.
// The verdict itself comes from evaluatePolicy (the same evaluator the
// differential tests hold to the compiled IR); this file adds the explanation
// from the model: which network put each address in its zone, the isolation
// mode of the pair, each rule considered and why it did or did not match.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policy/compiled.h"
#include "policy/model.h"
#include "policy/rule_match.h"

namespace isogate::policy {

struct TraceStep {
  int rule = -1;        // index in Policy::rules
  bool reached = true;  // false: an earlier rule already decided (first match wins)
  RuleMatch match;
};

struct Trace {
  PacketKey packet;
  LocalTime at;
  ZoneMatch src, dst;
  PathKind path = PathKind::Unzoned;
  Verdict verdict;               // evaluatePolicy's answer, the one that counts
  std::vector<TraceStep> steps;  // the rules of this zone pair, in file order
  int explainedRule = -1;        // the rule the explanation found deciding
  bool consistent = true;        // explanation and evaluatePolicy agree
};

Trace tracePacket(const Policy& policy, const PacketKey& packet, const LocalTime& at);

// Multi-line explanation for people. `digest` may be empty.
std::string formatTrace(const Policy& policy, const Trace& trace, const std::string& digest);

// SPEC §3 fields (verdict, from_zone, to_zone, isolation, rule, location) plus
// ref, policy, policy_name, packet, at, networks and the rules considered.
nlohmann::ordered_json traceToJson(const Policy& policy, const Trace& trace,
                                   const std::string& digest);

}  // namespace isogate::policy
