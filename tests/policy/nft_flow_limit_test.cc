// The flow limit in the nftables model (NftBuildOptions::flowLimit, gateway config
// `flows.max`): every allow verdict for a new flow goes through the one admission chain,
// denies and the stateful path are untouched, and the text loads into a real kernel.
#include <gtest/gtest.h>

#include <filesystem>

#include "policy/nft_ruleset.h"
#include "policy/nft_text.h"
#include "tests/policy/netns_helpers.h"
#include "tests/policy/nft_test_policies.h"

namespace isogate::policy {
namespace {

using isogate::testing::ScopedNetns;
using isogate::testing::writeFile;

NftBuildOptions limited(uint32_t max) {
  NftBuildOptions o;
  o.flowLimit = max;
  return o;
}

const NftChain& chain(const NftRuleset& rs, const std::string& name) {
  const NftChain* c = rs.findChain(name);
  if (!c) throw std::runtime_error("no chain " + name);
  return *c;
}

TEST(NftFlowLimit, WithoutALimitNothingChanges) {
  const NftRuleset rs = buildNftRuleset(testing::smallPolicy());
  EXPECT_EQ(rs.findChain(kNftFlowAdmitChain), nullptr);
  EXPECT_EQ(rs.findChain(kNftFlowRefuseChain), nullptr);
  for (const auto& c : rs.counters) EXPECT_NE(c.name, kNftFlowTableFullCounter);
  for (const auto& c : rs.chains)
    for (const auto& r : c.rules) {
      EXPECT_FALSE(r.ctCountOver);
      EXPECT_FALSE(r.limit);
      EXPECT_NE(r.verdict.chain, kNftFlowAdmitChain);
    }
}

TEST(NftFlowLimit, EveryAllowVerdictJumpsToTheAdmissionChainAndNothingElseDoes) {
  const NftRuleset plain = buildNftRuleset(testing::smallPolicy());
  const NftRuleset rs = buildNftRuleset(testing::smallPolicy(), limited(8));
  // The same chains in the same order, plus the two of the limit at the end.
  ASSERT_EQ(rs.chains.size(), plain.chains.size() + 2);
  EXPECT_EQ(rs.chains[rs.chains.size() - 2].name, "flow_admit");
  EXPECT_EQ(rs.chains.back().name, "flow_refuse");
  size_t admits = 0;
  for (size_t i = 0; i < plain.chains.size(); ++i) {
    const auto& a = plain.chains[i];
    const auto& b = rs.chains[i];
    ASSERT_EQ(a.name, b.name);
    ASSERT_EQ(a.rules.size(), b.rules.size()) << a.name;
    for (size_t j = 0; j < a.rules.size(); ++j) {
      NftRule expected = a.rules[j];
      // A new flow accepted by the policy (allow rule or intra-zone allow): admission.
      const bool admitsNew = expected.verdict.kind == NftVerdictKind::Accept && !expected.matches.empty() &&
                             expected.matches[0].field == NftField::CtState && expected.matches[0].mask == kCtNew;
      if (admitsNew) {
        expected.verdict = {NftVerdictKind::Jump, "flow_admit"};
        ++admits;
      }
      EXPECT_EQ(b.rules[j], expected) << a.name << " rule " << j;
    }
  }
  // 7 allow rules of the small policy lower to several nft rules each, plus the intra-zone
  // allow of 3 zones; the input chain's accepts (the gateway's own traffic) stay.
  EXPECT_GE(admits, 10u);
  EXPECT_EQ(chain(rs, "input").rules, chain(plain, "input").rules);
  EXPECT_EQ(chain(rs, "forward").rules, chain(plain, "forward").rules);
  ASSERT_EQ(rs.counters.size(), plain.counters.size() + 1);
  EXPECT_EQ(rs.counters.back().name, "flow_table_full");
}

TEST(NftFlowLimit, AdmissionCountsRefusesAndReportsAtABoundedRate) {
  const NftRuleset rs = buildNftRuleset(testing::smallPolicy(), limited(8));
  EXPECT_EQ(renderNftRule(chain(rs, "flow_admit").rules.at(0)),
            "ct count over 8 counter name \"flow_table_full\" jump flow_refuse comment \"flow limit 8 reached\"");
  EXPECT_EQ(renderNftRule(chain(rs, "flow_admit").rules.at(1)), "accept comment \"new flow admitted\"");
  ASSERT_EQ(chain(rs, "flow_admit").rules.size(), 2u);
  EXPECT_EQ(renderNftRule(chain(rs, "flow_refuse").rules.at(0)),
            "limit rate 1/second burst 5 packets log prefix \"isogate:fault:-:flow-table-full\" group 7 comment "
            "\"report refusals at a bounded rate\"");
  EXPECT_EQ(renderNftRule(chain(rs, "flow_refuse").rules.at(1)), "drop comment \"new flow refused: flow limit\"");
  ASSERT_EQ(chain(rs, "flow_refuse").rules.size(), 2u);
  // The allow rule keeps its counter and log (log: true rules log the policy's decision).
  bool sawLogged = false;
  for (const auto& r : chain(rs, "pair_extranet_portal").rules) {
    if (r.comment != "publish-content") continue;
    sawLogged = true;
    EXPECT_EQ(r.counter, "rule_publish-content");
    ASSERT_TRUE(r.log);
    EXPECT_EQ(r.log->group, kNflogFlowAllowed);
    EXPECT_EQ(r.verdict.chain, "flow_admit");
  }
  EXPECT_TRUE(sawLogged);
  // Denies still log and drop as their violation.
  for (const auto& r : chain(rs, "pair_internet_portal").rules) {
    if (r.comment != "no-portal-ping") continue;
    EXPECT_EQ(r.verdict.kind, NftVerdictKind::Drop);
    ASSERT_TRUE(r.log);
    EXPECT_EQ(r.log->group, kNflogLogicalIsolation);
  }
}

TEST(NftFlowLimit, ScriptLoadsIntoTheKernel) {
  ISOGATE_SKIP_UNLESS_ROOT("needs root for a network namespace");
  const std::filesystem::path dir =
      std::filesystem::path(ISOGATE_BINARY_DIR) / "tests" / ("nft_flow_limit_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "limited.nft").string();
  ASSERT_TRUE(writeFile(path, renderNftText(buildNftRuleset(testing::smallPolicy(), limited(8)))));
  ScopedNetns ns("nftfl");
  ASSERT_TRUE(ns.ok()) << ns.name();
  const auto r = ns.exec("nft -f " + path);
  ASSERT_EQ(r.status, 0) << r.output;
  auto list = ns.exec("nft list chain inet isogate flow_admit");
  ASSERT_EQ(list.status, 0) << list.output;
  const auto refuse = ns.exec("nft list chain inet isogate flow_refuse");
  ASSERT_EQ(refuse.status, 0) << refuse.output;
  list.output += refuse.output;
  EXPECT_NE(list.output.find("ct count over 8 counter name \"flow_table_full\" jump flow_refuse"), std::string::npos)
      << list.output;
  EXPECT_NE(list.output.find("limit rate 1/second log prefix \"isogate:fault:-:flow-table-full\" group 7"),
            std::string::npos)
      << list.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace isogate::policy
