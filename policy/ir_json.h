// The compiled IR as JSON (`isogate-policy compile --target ir`), and back.
// Field names are a stable interface, documented in docs/IR.md:
//   {format: "isogate-ir/1", name, source_file, digest,
//    zones: [{id, name, level, any, intra_zone}], any_zone: NAME|null,
//    prefixes: {v4: [{prefix, zone}], v6: [...]},
//    matrix: [{from, to, mode: "intra-zone"|"physical"|"logical"}]   (every ordered pair),
//    rules: [{id, name, ref, location: "FILE:LINE:COL", from, to, src: [CIDR], dst: [CIDR],
//             terms: [{proto: [a,b], port: [a,b], icmp: [a,b]}], action, log,
//             schedule: null | {days: ["mon",...], hours: "HH:MM-HH:MM"}}]}
// Zones are referred to by name. Reading also accepts a zone id number instead of a
// name, taken as is, so tools and tests can hand the verifier an IR naming no zone.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "policy/compiled.h"

namespace isogate::policy {

nlohmann::json irToJson(const CompiledPolicy& compiled);

// Reads an IR written by irToJson. Structure only: it does not verify the IR
// (run verifyCompiled for that). On failure returns nullopt and sets *error to
// "PATH: reason", e.g. "rules[2].terms[0].port: expected [first, last] in 0..65535".
std::optional<CompiledPolicy> irFromJson(const nlohmann::json& json, std::string* error);

}  // namespace isogate::policy
