// PolicyService's checker in isogate-mgmtd: the policy compiler's one pipeline
// (policy::buildPolicyFile), its diagnostics as GCC-style lines, and the
// compiled IR kept for the sensors.
#pragma once

#include <memory>
#include <string>

#include "mgmt/policy_service.h"
#include "policy/compiled.h"

namespace isogate::mgmt {

PolicyCheck checkPolicyFile(const std::string& path,
                            std::shared_ptr<const policy::CompiledPolicy>* compiled = nullptr);

}  // namespace isogate::mgmt
