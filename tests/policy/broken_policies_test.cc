// Golden tests: every tests/policy/broken/NN-what.yaml must produce exactly the
// diagnostics in NN-what.expected (GCC style, sorted), with at least one error.
// The checker runs only when loading succeeded, as in the pipeline.
#include <gtest/gtest.h>

#include "policy/checker.h"
#include "policy/loader.h"
#include "tests/policy/golden_cases.h"

namespace isogate::policy {
namespace {

using testing::goldenCases;

const std::filesystem::path kDir = std::filesystem::path(ISOGATE_SOURCE_DIR) / "tests/policy/broken";

class BrokenPolicy : public ::testing::TestWithParam<std::string> {};

TEST_P(BrokenPolicy, ReportsExactlyTheExpectedDiagnostics) {
  const std::string name = GetParam() + ".yaml";
  Diagnostics diags;
  const Policy policy = loadPolicyText(testing::readFile(kDir / name), name, diags);
  if (!diags.hasErrors()) checkPolicy(policy, diags);
  testing::expectGoldenDiagnostics(kDir, GetParam(), diags);
}

INSTANTIATE_TEST_SUITE_P(Corpus, BrokenPolicy, ::testing::ValuesIn(goldenCases(kDir)), testing::goldenCaseName);

TEST(BrokenPolicyCorpus, HasAtLeast35Cases) { EXPECT_GE(goldenCases(kDir).size(), 35u); }

}  // namespace
}  // namespace isogate::policy
