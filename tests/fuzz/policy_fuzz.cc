// Fuzz target: any bytes as a policy file through the whole pipeline (load,
// check, compile, verify). Invariants: no crash, no sanitizer report, an IR
// exactly when there is no error, and every diagnostic printable.
#include <cstddef>
#include <cstdint>
#include <string>

#include "policy/pipeline.h"
#include "tests/fuzz/fuzz_check.h"

using namespace isogate::policy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const PolicyBuild b = buildPolicyText(text, "fuzz.yaml");
  FUZZ_CHECK(b.ok() != b.diags.hasErrors());
  for (const Diagnostic& d : b.diags.sorted()) {
    FUZZ_CHECK(d.where.line >= 0 && d.where.column >= 0);
    FUZZ_CHECK(!d.message.empty());
    FUZZ_CHECK(!formatDiagnostic(d).empty());
  }
  if (b.ok()) FUZZ_CHECK(b.compiled->digest.rfind("sha256:", 0) == 0);
  return 0;
}
