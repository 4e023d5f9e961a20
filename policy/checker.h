// Pass 2: semantic checks of a loaded policy (SPEC §1 and the regulation):
// undefined zones and services, overlapping zones, a second `any`, a rule
// across a physical pair, a classified zone in a logical pair, networks of a
// rule outside its zone; warnings for shadowed rules, unused services/zones
// and logical pairs with no rule.
#pragma once

#include "policy/diagnostics.h"
#include "policy/model.h"

namespace isogate::policy {

void checkPolicy(const Policy& policy, Diagnostics& diags);

}  // namespace isogate::policy
