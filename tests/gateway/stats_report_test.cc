#include "gateway/stats_report.h"

#include <gtest/gtest.h>

#include "policy/nft_ruleset.h"
#include "policy/pipeline.h"
#include "tests/gateway/gateway_fixture.h"

namespace isogate::gateway {
namespace {

class StatsReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto build = policy::buildPolicyFile(testing::kFixturePolicy);
    ASSERT_TRUE(build.ok());
    p_ = *build.compiled;
  }
  uint16_t zone(const char* name) const { return static_cast<uint16_t>(p_.findZone(name)); }
  size_t rule(const char* name) const {
    for (size_t i = 0; i < p_.rules.size(); ++i)
      if (p_.rules[i].name == name) return i;
    ADD_FAILURE() << "no rule " << name;
    return 0;
  }
  const mgmt::PairCounter* row(const mgmt::GatewayStats& s, const std::string& from, const std::string& to,
                               const std::string& rule, const std::string& verdict) const {
    for (const auto& c : s.pairs)
      if (c.fromZone == from && c.toZone == to && c.rule == rule && c.verdict == verdict) return &c;
    return nullptr;
  }
  uint64_t drop(const mgmt::GatewayStats& s, const std::string& reason) const {
    for (const auto& [r, n] : s.drops)
      if (r == reason) return n;
    return 0;
  }
  policy::CompiledPolicy p_;
};

TEST_F(StatsReportTest, NftCountersBecomeRuleRowsAndThePairsDefaultRest) {
  std::map<std::string, PacketBytesCount> c;
  const auto& publish = p_.rules[rule("publish-content")];
  const auto& noSsh = p_.rules[rule("no-ssh-from-portal")];
  c[policy::nftRuleCounterName(publish)] = {3, 180};
  c[policy::nftPairChainName(p_, zone("extranet"), zone("portal"))] = {10, 600};  // 7 hit the default
  c[policy::nftRuleCounterName(noSsh)] = {2, 120};
  c[policy::nftPairChainName(p_, zone("portal"), zone("extranet"))] = {2, 120};
  c[policy::nftPairChainName(p_, zone("intranet"), zone("extranet"))] = {4, 240};  // a physical pair
  c["spoofed_source"] = {5, 300};
  c["unzoned"] = {1, 60};
  const auto s = statsFromNftCounters(p_, c);
  EXPECT_EQ(s.backend, "nftables");
  const auto* r = row(s, "extranet", "portal", "publish-content", "allow");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->packets, 3u);
  EXPECT_EQ(r->bytes, 180u);
  const auto* d = row(s, "extranet", "portal", "", "deny");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->packets, 7u);
  EXPECT_EQ(d->bytes, 420u);
  ASSERT_NE(row(s, "portal", "extranet", "no-ssh-from-portal", "deny"), nullptr);
  EXPECT_EQ(row(s, "portal", "extranet", "", "deny"), nullptr) << "no packet left for the default: no row";
  EXPECT_EQ(drop(s, "spoofed-source"), 5u);
  EXPECT_EQ(drop(s, "no-zone"), 1u);
  EXPECT_EQ(drop(s, "physical-isolation"), 4u);
  EXPECT_EQ(drop(s, "logical-isolation"), 7u);
  EXPECT_EQ(drop(s, "rule-deny"), 2u);
  // Rows are disjoint: they add up to what entered the pair chains.
  uint64_t sum = 0;
  for (const auto& x : s.pairs) sum += x.packets;
  EXPECT_EQ(sum, 10u + 2u + 4u);
}

TEST_F(StatsReportTest, DataplaneRowsSplitEachPairIntoRulesAndDefault) {
  const size_t nz = p_.zones.size();
  DataplaneCounts c;
  c.pairForwarded.resize(nz * nz);
  c.pairDropped.resize(nz * nz);
  c.rules.resize(p_.rules.size() + 1);
  const size_t ep = zone("extranet") * nz + zone("portal");
  c.pairForwarded[ep] = {100, 6400};  // all of it through publish-content
  c.pairDropped[ep] = {9, 540};       // the default deny
  c.rules[rule("publish-content")] = {100, 6400};
  c.drops = {{"logical-isolation", 9}};
  c.eventsLost = 2;
  const auto s = statsFromDataplane(p_, c);
  EXPECT_EQ(s.backend, "dpdk");
  const auto* r = row(s, "extranet", "portal", "publish-content", "allow");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->packets, 100u);
  EXPECT_EQ(row(s, "extranet", "portal", "", "allow"), nullptr);
  const auto* d = row(s, "extranet", "portal", "", "deny");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->packets, 9u);
  EXPECT_EQ(s.eventsDropped, 2u);
  EXPECT_EQ(drop(s, "logical-isolation"), 9u);
}

TEST(StatsReportFit, ManyRowsAreFoldedKeepingTheTotals) {
  mgmt::GatewayStats s;
  uint64_t total = 0;
  for (int i = 0; i < 1000; ++i) {
    s.pairs.push_back({"a", "b", "r" + std::to_string(i), i % 2 ? "allow" : "deny", static_cast<uint64_t>(i), 1});
    total += static_cast<uint64_t>(i);
  }
  fitStatsReport(s, 100);
  EXPECT_LE(s.pairs.size(), 100u);
  uint64_t after = 0;
  bool folded = false;
  for (const auto& c : s.pairs) {
    after += c.packets;
    folded |= c.rule == "(other rules)";
  }
  EXPECT_EQ(after, total);
  EXPECT_TRUE(folded);
  EXPECT_EQ(s.pairs.front().rule, "r999") << "the busiest row is kept by name";
}

}  // namespace
}  // namespace isogate::gateway
