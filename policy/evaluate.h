// Two independent evaluators of the first-packet verdict: one over the policy
// model (what `trace` explains), one over the compiled IR (what backends are
// built from). The differential tests hold them to the same answer.
//
// Semantics (SPEC §1): zones by longest prefix (`any` takes the rest);
// same zone: rules with from == to == that zone, first match, else the
// zone's intra_zone setting; physical pair: deny; logical pair: first
// matching rule whose schedule is active decides, else deny; an address in
// no zone: deny.
#pragma once

#include "policy/compiled.h"
#include "policy/model.h"

namespace isogate::policy {

Verdict evaluatePolicy(const Policy& policy, const PacketKey& packet, const LocalTime& now);
Verdict evaluateCompiled(const CompiledPolicy& compiled, const PacketKey& packet, const LocalTime& now);

}  // namespace isogate::policy
