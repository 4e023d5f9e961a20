// Fuzz target: any bytes as a gateway configuration (SPEC §2). A config that
// loads is also checked against two real policies (the demo's and the test
// fixture), so the cross checks see every shape the loader lets through.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "policy/gateway_config.h"
#include "policy/loader.h"
#include "tests/fuzz/fuzz_check.h"

using namespace isogate::policy;

namespace {

Policy loadOrDie(const std::string& path) {
  Diagnostics diags;
  Policy p = loadPolicyFile(path, diags);
  if (diags.hasErrors()) {
    std::fprintf(stderr, "gateway_config_fuzz: %s does not load\n", path.c_str());
    std::abort();
  }
  return p;
}

void checkDiagnostics(const Diagnostics& diags) {
  for (const Diagnostic& d : diags.sorted()) {
    FUZZ_CHECK(d.where.line >= 0 && d.where.column >= 0);
    FUZZ_CHECK(!d.message.empty());
    FUZZ_CHECK(!formatDiagnostic(d).empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Policy demo = loadOrDie(ISOGATE_SOURCE_DIR "/configs/demo/policy.yaml");
  static const Policy clean = loadOrDie(ISOGATE_SOURCE_DIR "/tests/policy/fixtures/clean.yaml");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Diagnostics diags;
  const GatewayConfig config = loadGatewayConfigText(text, "fuzz.yaml", diags);
  checkDiagnostics(diags);
  if (diags.hasErrors()) return 0;
  for (const Policy* p : {&demo, &clean}) {
    Diagnostics checked;
    checkGatewayConfig(config, *p, checked);
    checkDiagnostics(checked);
    for (const auto& i : config.interfaces) (void)config.findInterface(i.name);
  }
  return 0;
}
