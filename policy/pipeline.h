// The one way to turn a policy file into a verified IR: load, check, compile,
// verify. Every caller (CLI, gateway reload, control socket) goes through it.
#pragma once

#include <optional>
#include <string>

#include "policy/compiled.h"
#include "policy/diagnostics.h"
#include "policy/model.h"

namespace isogate::policy {

struct PolicyBuild {
  Policy model;
  std::optional<CompiledPolicy> compiled;  // set only when there were no errors
  Diagnostics diags;
  bool ok() const { return compiled.has_value(); }
};

PolicyBuild buildPolicyFile(const std::string& path);
PolicyBuild buildPolicyText(const std::string& text, const std::string& fileName);

}  // namespace isogate::policy
