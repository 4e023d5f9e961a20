// Golden tests: every tests/policy/broken_gateway/NN-what.yaml must produce
// exactly the diagnostics in NN-what.expected, with at least one error. The
// config is checked against fixtures/clean.yaml when it loaded without errors.
#include <gtest/gtest.h>

#include "policy/gateway_config.h"
#include "policy/loader.h"
#include "tests/policy/golden_cases.h"

namespace isogate::policy {
namespace {

using testing::goldenCases;

const std::filesystem::path kDir = std::filesystem::path(ISOGATE_SOURCE_DIR) / "tests/policy/broken_gateway";
const std::filesystem::path kPolicy = std::filesystem::path(ISOGATE_SOURCE_DIR) / "tests/policy/fixtures/clean.yaml";

class BrokenGatewayConfig : public ::testing::TestWithParam<std::string> {};

TEST_P(BrokenGatewayConfig, ReportsExactlyTheExpectedDiagnostics) {
  Diagnostics policyDiags;
  const Policy policy = loadPolicyFile(kPolicy.string(), policyDiags);
  ASSERT_FALSE(policyDiags.hasErrors());
  const std::string name = GetParam() + ".yaml";
  Diagnostics diags;
  const GatewayConfig config = loadGatewayConfigText(testing::readFile(kDir / name), name, diags);
  if (!diags.hasErrors()) checkGatewayConfig(config, policy, diags);
  testing::expectGoldenDiagnostics(kDir, GetParam(), diags);
}

INSTANTIATE_TEST_SUITE_P(Corpus, BrokenGatewayConfig, ::testing::ValuesIn(goldenCases(kDir)), testing::goldenCaseName);

}  // namespace
}  // namespace isogate::policy
