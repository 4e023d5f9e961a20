#include "policy/nft_text.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/policy/netns_helpers.h"
#include "tests/policy/nft_test_policies.h"

namespace isogate::policy {
namespace {

namespace fs = std::filesystem;
using isogate::testing::readFile;
using isogate::testing::runCommand;
using isogate::testing::ScopedNetns;
using isogate::testing::writeFile;

const std::string kGolden = std::string(ISOGATE_SOURCE_DIR) + "/tests/policy/golden/nft_small.nft";

std::string scratchDir() {
  const fs::path d = fs::path(ISOGATE_BINARY_DIR) / "tests" / ("nft_text_" + std::to_string(getpid()));
  fs::create_directories(d);
  return d.string();
}

NftBuildOptions interfaces() {
  NftBuildOptions o;
  o.interfaces = {{"ext0", 1, false}, {"prt0", 2, false}, {"inet0", 3, false}, {"tap0", 0, true}};
  o.utcOffsetMinutes = 480;
  return o;
}

TEST(NftText, AddressesPrintAsHostPrefixOrRange) {
  auto v4 = [](const char* a, const char* b) {
    return NftInterval{parseAddress(a)->value, parseAddress(b)->value};
  };
  EXPECT_EQ(renderNftAddress(v4("10.0.0.1", "10.0.0.1"), Family::V4), "10.0.0.1");
  EXPECT_EQ(renderNftAddress(v4("10.16.0.0", "10.31.255.255"), Family::V4), "10.16.0.0/12");
  EXPECT_EQ(renderNftAddress(v4("10.0.0.1", "10.0.0.9"), Family::V4), "10.0.0.1-10.0.0.9");
  EXPECT_EQ(renderNftAddress(v4("0.0.0.0", "255.255.255.255"), Family::V4), "0.0.0.0/0");
  EXPECT_EQ(renderNftAddress({0, ~U128{0}}, Family::V6), "::/0");
  EXPECT_EQ(renderNftAddress({parseAddress("fd20::")->value, parseAddress("fd20:0:ffff:ffff:ffff:ffff:ffff:ffff")->value},
                             Family::V6),
            "fd20::/32");
}

TEST(NftText, RulesRenderMatchesThenStatementsThenComment) {
  NftRule r;
  NftMatch ct;
  ct.field = NftField::CtState;
  ct.mask = kCtNew;
  NftMatch src;
  src.field = NftField::Saddr4;
  src.negate = true;
  src.values = {{parseAddress("10.0.0.0")->value, parseAddress("10.0.0.255")->value},
                {parseAddress("10.1.0.7")->value, parseAddress("10.1.0.7")->value}};
  NftMatch port;
  port.field = NftField::ThDport;
  port.values = {{1024, 65535}};
  r.matches = {ct, src, port};
  r.counter = "rule_x";
  r.log = NftLog{6, "isogate:flow-allowed:3:x"};
  r.verdict = {NftVerdictKind::Accept, {}};
  r.comment = "x";
  EXPECT_EQ(renderNftRule(r),
            "ct state new ip saddr != { 10.0.0.0/24, 10.1.0.7 } th dport 1024-65535 counter name \"rule_x\" "
            "log prefix \"isogate:flow-allowed:3:x\" group 6 accept comment \"x\"");
}

// The golden file is what an officer reviews for the small policy; refresh it
// with ISOGATE_UPDATE_GOLDEN=1 after an intended change, and review the diff.
TEST(NftText, SmallPolicyMatchesGoldenFile) {
  const std::string text = renderNftText(buildNftRuleset(testing::smallPolicy()));
  if (std::getenv("ISOGATE_UPDATE_GOLDEN")) {
    ASSERT_TRUE(writeFile(kGolden, text));
  }
  EXPECT_EQ(text, readFile(kGolden));
  EXPECT_EQ(text.rfind("#!/usr/sbin/nft -f\n", 0), 0u);
  EXPECT_NE(text.find("table inet isogate {}\ndelete table inet isogate\ntable inet isogate {\n"), std::string::npos);
}

// Every script must be accepted by `nft -c` (which checks against the kernel
// of a namespace made for the test, so nothing of the host is touched).
class NftCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    ISOGATE_SKIP_UNLESS_ROOT("needs root for a network namespace");
  }
  // reallyLoad: load (twice, to prove the script replaces its table) instead of `nft -c`.
  void expectLoads(const std::string& label, const std::string& text, bool reallyLoad = false, bool twice = true) {
    const std::string path = dir_ + "/" + label + ".nft";
    ASSERT_TRUE(writeFile(path, text));
    ScopedNetns ns("nftc");
    ASSERT_TRUE(ns.ok()) << ns.name();
    const auto r = ns.exec(std::string("nft ") + (reallyLoad ? "" : "-c ") + "-f " + path);
    EXPECT_EQ(r.status, 0) << label << ": " << r.output.substr(0, 4000);
    if (reallyLoad && r.status == 0) {
      if (twice) {  // loading again must replace the table, not fail or duplicate it
        const auto again = ns.exec("nft -f " + path);
        EXPECT_EQ(again.status, 0) << again.output.substr(0, 2000);
      }
      const auto chains = ns.exec("nft list table inet isogate");
      EXPECT_EQ(chains.status, 0);
      EXPECT_NE(chains.output.find("chain forward"), std::string::npos);
    }
  }
  std::string dir_ = scratchDir();
};

TEST_F(NftCheck, SmallPolicyWithIpv6AndSchedules) {
  expectLoads("small", renderNftText(buildNftRuleset(testing::smallPolicy())), true);
}

TEST_F(NftCheck, SmallPolicyWithInterfacesAndAMonitorPort) {
  expectLoads("interfaces", renderNftText(buildNftRuleset(testing::smallPolicy(), interfaces())), true);
}

TEST_F(NftCheck, HundredThousandRulesRenderAndLoad) {
  const auto rs = buildNftRuleset(testing::bigPolicy(100000));
  EXPECT_GE(rs.ruleCount(), 100000u);
  expectLoads("big100k", renderNftText(rs), true, false);
}

// The generated policies of the policy benchmark tool: compile each and check
// the script. Both tools are part of every full build, so their absence fails.
TEST_F(NftCheck, GeneratedPolicies) {
  const std::string gen = std::string(ISOGATE_BINARY_DIR) + "/bench/policy/isogate-policy-gen";
  const std::string cli = std::string(ISOGATE_BINARY_DIR) + "/policy/isogate-policy";
  ASSERT_TRUE(fs::exists(gen) && fs::exists(cli)) << "build isogate-policy-gen and isogate-policy first (" << gen << ")";
  for (int rules : {100, 2000}) {
    const std::string yaml = dir_ + "/gen" + std::to_string(rules) + ".yaml";
    const std::string nft = dir_ + "/gen" + std::to_string(rules) + ".nft";
    const auto g = runCommand(gen + " --rules " + std::to_string(rules) + " -o " + yaml);
    ASSERT_EQ(g.status, 0) << g.output;
    const auto c = runCommand(cli + " compile " + yaml + " --target nft -o " + nft);
    ASSERT_EQ(c.status, 0) << c.output;
    expectLoads("gen" + std::to_string(rules), readFile(nft));
  }
}

}  // namespace
}  // namespace isogate::policy
