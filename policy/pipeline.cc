#include "policy/pipeline.h"

#include "policy/checker.h"
#include "policy/compiler.h"
#include "policy/loader.h"

namespace isogate::policy {
namespace {

// Compile only what the checker passed, and publish only what the verifier
// passed: a verifier failure means the compiler is wrong, and the policy must
// be rejected as a whole rather than enforced half right.
void compileChecked(PolicyBuild& build) {
  checkPolicy(build.model, build.diags);
  if (build.diags.hasErrors()) return;
  CompiledPolicy compiled = compilePolicy(build.model);
  if (!verifyCompiled(compiled, build.diags)) {
    build.diags.error(Location{build.model.file, 0, 0},
                      "internal error: the compiled policy failed verification; policy rejected");
    return;
  }
  compiled.digest = computeDigest(compiled);
  build.compiled = std::move(compiled);
}

}  // namespace

PolicyBuild buildPolicyFile(const std::string& path) {
  PolicyBuild build;
  build.model = loadPolicyFile(path, build.diags);
  if (!build.diags.hasErrors()) compileChecked(build);
  return build;
}

PolicyBuild buildPolicyText(const std::string& text, const std::string& fileName) {
  PolicyBuild build;
  build.model = loadPolicyText(text, fileName, build.diags);
  if (!build.diags.hasErrors()) compileChecked(build);
  return build;
}

}  // namespace isogate::policy
