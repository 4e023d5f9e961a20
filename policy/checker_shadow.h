// The shadowed-rule warning of the checker: a rule that an earlier rule of the
// same from/to zones covers completely (networks, services and time) can never
// match. Indexed by zone pair, endpoint networks and ports so 100k-rule policies check quickly.
#pragma once

#include <vector>

#include "policy/diagnostics.h"
#include "policy/model.h"

namespace isogate::policy::detail {

// What the checker resolved about each rule; rules with ok == false (undefined
// zones or services) are left out of the analysis.
struct RuleFacts {
  int from = -1, to = -1;  // zone indexes
  bool ok = false;
};

// Warns, in rule order, for every rule that an earlier rule of the same zone
// pair covers, naming the first (lowest-numbered) such earlier rule.
void warnShadowedRules(const Policy& policy, const std::vector<RuleFacts>& facts,
                       Diagnostics& diags);

}  // namespace isogate::policy::detail
