// Pass 1: YAML text -> policy model with source locations. Every problem is a
// diagnostic with file:line:column; loading continues past errors so one run
// reports them all. Structure and value errors are found here; cross-entry
// semantics (undefined names, overlaps, isolation) belong to the checker.
#pragma once

#include <string>
#include <string_view>

#include "policy/diagnostics.h"
#include "policy/model.h"

namespace isogate::policy {

// Reads and loads a file. An unreadable file is an error diagnostic with no position.
Policy loadPolicyFile(const std::string& path, Diagnostics& diags);
Policy loadPolicyText(std::string_view text, const std::string& fileName, Diagnostics& diags);

}  // namespace isogate::policy
