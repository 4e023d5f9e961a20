// The shadowed-rule warning of the checker: a rule that an earlier rule of the
// same from/to zones covers completely (networks, services and time) can never
// match. Indexed by zone pair and port so 100k-rule policies check quickly.
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

// Candidate earlier rules examined per rule at most; beyond it a shadowing
// rule may go unreported (a warning only), never a wrong warning.
inline constexpr int kShadowCandidateBudget = 2000;

void warnShadowedRules(const Policy& policy, const std::vector<RuleFacts>& facts,
                       Diagnostics& diags);

}  // namespace isogate::policy::detail
