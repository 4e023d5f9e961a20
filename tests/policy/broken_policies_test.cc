// Golden tests: every tests/policy/broken/NN-what.yaml must produce exactly the
// diagnostics in NN-what.expected (GCC style, sorted), with at least one error.
// The checker runs only when loading succeeded, as in the pipeline.
// ISOGATE_UPDATE_GOLDEN=1 rewrites the .expected files (review the diff!).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "policy/checker.h"
#include "policy/loader.h"

namespace isogate::policy {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(ISOGATE_SOURCE_DIR) / "tests/policy/broken";

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> cases() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kDir))
    if (e.path().extension() == ".yaml") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

class BrokenPolicy : public ::testing::TestWithParam<std::string> {};

TEST_P(BrokenPolicy, ReportsExactlyTheExpectedDiagnostics) {
  const std::string name = GetParam() + ".yaml";
  Diagnostics diags;
  const Policy policy = loadPolicyText(readFile(kDir / name), name, diags);
  if (!diags.hasErrors()) checkPolicy(policy, diags);
  std::string actual;
  for (const auto& d : diags.sorted()) actual += formatDiagnostic(d) + "\n";
  const fs::path expectedPath = kDir / (GetParam() + ".expected");
  if (std::getenv("ISOGATE_UPDATE_GOLDEN")) std::ofstream(expectedPath, std::ios::binary) << actual;
  ASSERT_TRUE(fs::exists(expectedPath)) << expectedPath;
  EXPECT_EQ(actual, readFile(expectedPath));
  EXPECT_GE(diags.errorCount(), 1);
}

INSTANTIATE_TEST_SUITE_P(Corpus, BrokenPolicy, ::testing::ValuesIn(cases()), [](const auto& info) {
  std::string n = info.param;
  std::replace(n.begin(), n.end(), '-', '_');
  return "case_" + n;
});

TEST(BrokenPolicyCorpus, HasAtLeast35Cases) { EXPECT_GE(cases().size(), 35u); }

}  // namespace
}  // namespace isogate::policy
