// Pass 3 and 4: lower a checked policy to the IR, then verify the IR on its own
// (the second lock: it re-derives the isolation guarantees from the compiled
// tables, not from the YAML, so a compiler bug cannot open a physical pair).
#pragma once

#include <optional>

#include "policy/compiled.h"
#include "policy/diagnostics.h"
#include "policy/model.h"

namespace isogate::policy {

// Requires a policy that passed checkPolicy without errors.
CompiledPolicy compilePolicy(const Policy& policy);

// Proves: the matrix is symmetric with Intra exactly on the diagonal; no
// classified zone is in a logical pair; zone prefixes are sorted, disjoint and
// name real zones; and no allow rule can match any packet whose zones form a
// physical pair (checked over the rule's address ranges against the prefix
// tables). Each failure is an error diagnostic; returns true when clean.
bool verifyCompiled(const CompiledPolicy& compiled, Diagnostics& diags);

// sha256 over the canonical serialisation (names, prefixes, matrix, rules;
// not file names or line numbers), "sha256:" + 64 lowercase hex.
std::string computeDigest(const CompiledPolicy& compiled);

}  // namespace isogate::policy
