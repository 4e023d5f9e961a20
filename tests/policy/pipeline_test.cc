// buildPolicyText/File: load -> check -> compile -> verify -> digest, and no
// compiled result whenever any pass reported an error.
#include "policy/pipeline.h"

#include <gtest/gtest.h>

#include "policy/compiler.h"
#include "tests/policy/policy_fixture.h"

namespace isogate::policy {
namespace {

const std::string kPolicy =
    testing::policyText({R"(version: 1
name: small
zones:
  intranet:
    level: classified
    networks: [10.10.0.0/16]
)",
                         testing::kExtranetZone, testing::kInternetZone,
                         testing::logicalPairs({{"extranet", "internet"}}), R"(services:
  https: {tcp: [443]}
rules:
)",
                         testing::kExtranetOutRule});

std::vector<std::string> errorsOf(const PolicyBuild& b) {
  std::vector<std::string> out;
  for (const auto& d : b.diags.all())
    if (d.severity == Severity::Error) out.push_back(formatDiagnostic(d));
  return out;
}

TEST(PipelineTest, ValidPolicyIsCompiledVerifiedAndDigested) {
  const PolicyBuild b = buildPolicyText(kPolicy, "small.yaml");
  ASSERT_TRUE(b.ok()) << (errorsOf(b).empty() ? "" : errorsOf(b)[0]);
  EXPECT_EQ(b.compiled->name, "small");
  EXPECT_EQ(b.compiled->sourceFile, "small.yaml");
  EXPECT_EQ(b.compiled->digest, computeDigest(*b.compiled));
  ASSERT_EQ(b.compiled->rules.size(), 1u);
  EXPECT_EQ(b.compiled->rules[0].where.file, "small.yaml");
  EXPECT_EQ(b.compiled->rules[0].where.line, 21);
  Diagnostics again;
  EXPECT_TRUE(verifyCompiled(*b.compiled, again));
  EXPECT_EQ(b.model.rules.size(), 1u);
}

TEST(PipelineTest, CheckerErrorMeansNoCompiledPolicy) {
  std::string text = kPolicy;
  text.replace(text.find("to: internet"), 12, "to: intranet");
  const PolicyBuild b = buildPolicyText(text, "small.yaml");
  EXPECT_FALSE(b.ok());
  ASSERT_FALSE(errorsOf(b).empty());
  EXPECT_NE(errorsOf(b)[0].find("physically isolated zones extranet and intranet"), std::string::npos)
      << errorsOf(b)[0];
}

TEST(PipelineTest, LoadErrorMeansNoCompiledPolicy) {
  std::string text = kPolicy;
  text.replace(text.find("version: 1"), 10, "version: 2");
  const PolicyBuild b = buildPolicyText(text, "small.yaml");
  EXPECT_FALSE(b.ok());
  EXPECT_FALSE(errorsOf(b).empty());
}

TEST(PipelineTest, UnreadableFileIsAnError) {
  const PolicyBuild b = buildPolicyFile("/nonexistent/isogate/policy.yaml");
  EXPECT_FALSE(b.ok());
  EXPECT_FALSE(errorsOf(b).empty());
}

TEST(PipelineTest, FileAndTextGiveTheSameDigest) {
  const std::string path = std::string(ISOGATE_SOURCE_DIR) + "/tests/policy/fixtures/b-example.yaml";
  const PolicyBuild fromFile = buildPolicyFile(path);
  ASSERT_TRUE(fromFile.ok());
  EXPECT_EQ(fromFile.compiled->sourceFile, path);
  const PolicyBuild text = buildPolicyText(kPolicy, "x.yaml");
  ASSERT_TRUE(text.ok());
  EXPECT_NE(fromFile.compiled->digest, text.compiled->digest);
}

}  // namespace
}  // namespace isogate::policy
