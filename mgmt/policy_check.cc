// checkPolicyFile: see policy_check.h.
#include "mgmt/policy_check.h"

#include "policy/pipeline.h"

namespace isogate::mgmt {

PolicyCheck checkPolicyFile(const std::string& path,
                            std::shared_ptr<const policy::CompiledPolicy>* compiled) {
  PolicyCheck c;
  policy::PolicyBuild b = policy::buildPolicyFile(path);
  for (const auto& d : b.diags.sorted()) c.diagnostics.push_back(policy::formatDiagnostic(d));
  c.ok = b.ok();
  if (b.compiled) {
    c.digest = b.compiled->digest;
    c.name = b.compiled->name;
    if (compiled) *compiled = std::make_shared<const policy::CompiledPolicy>(*b.compiled);
  }
  return c;
}

}  // namespace isogate::mgmt
