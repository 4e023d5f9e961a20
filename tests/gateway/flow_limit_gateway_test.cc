// The kernel backend's side of the flow limit without a kernel: the backend builds every
// ruleset with the configured limit, the ruleset's NFLOG report becomes a `fault` event, and
// its counter becomes the drop reason the DPDK data plane uses (flow-table-full).
#include <gtest/gtest.h>

#include <algorithm>

#include "gateway/nft_backend.h"
#include "gateway/stats_report.h"
#include "gateway/violation_event.h"
#include "policy/pipeline.h"
#include "tests/gateway/gateway_fixture.h"

namespace isogate::gateway {
namespace {

using testing::ipv4Tcp;
using testing::kFixturePolicy;

class HoldingSink : public RulesetSink {
 public:
  bool replace(const policy::NftRuleset& rs, std::string&) override {
    table = rs;
    return true;
  }
  bool verify(const policy::NftRuleset& rs, std::string& error) override {
    if (table && *table == rs) return true;
    error = "differs";
    return false;
  }
  bool tableExists() override { return table.has_value(); }
  std::optional<policy::NftRuleset> table;
};

policy::CompiledPolicy fixturePolicy() {
  auto build = policy::buildPolicyFile(kFixturePolicy);
  EXPECT_TRUE(build.ok());
  return *build.compiled;
}

TEST(FlowLimitGateway, TheBackendAppliesTheConfiguredLimit) {
  const auto p = fixturePolicy();
  const std::vector<BackendInterface> itfs = {{"ext0", "extranet", false, p.findZone("extranet")}};
  auto noSweep = [](const auto&, const auto&, const auto&) {};
  HoldingSink plainSink, limitedSink;
  NftBackend plain(plainSink, {}, noSweep), limited(limitedSink, {}, noSweep);
  limited.setFlowLimit(8);
  ASSERT_TRUE(plain.apply(p, itfs).ok);
  ASSERT_TRUE(limited.apply(p, itfs).ok);
  EXPECT_EQ(plainSink.table->findChain(policy::kNftFlowAdmitChain), nullptr);
  const policy::NftChain* admit = limitedSink.table->findChain(policy::kNftFlowAdmitChain);
  ASSERT_NE(admit, nullptr);
  ASSERT_FALSE(admit->rules.empty());
  EXPECT_EQ(admit->rules[0].ctCountOver, std::optional<uint32_t>(8));
  EXPECT_EQ(limited.lastApplied(), *limitedSink.table);
}

TEST(FlowLimitGateway, TheRefusalLogBecomesAFaultEvent) {
  const auto p = fixturePolicy();
  const auto tag = decodeLogPrefix(policy::nftLogPrefix("fault", -1, "flow-table-full"));
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->type, mgmt::EventType::Fault);
  EXPECT_EQ(tag->ruleId, -1);
  EXPECT_EQ(tag->detail, "flow-table-full");
  const auto pkt = summarizePacket(ipv4Tcp(0xcb00710a, 0xac101e0a, 41009, 443));  // 203.0.113.10 -> 172.16.30.10
  ASSERT_TRUE(pkt);
  const mgmt::Event e = violationEvent(*tag, *pkt, &p, "inet0");
  EXPECT_EQ(e.type, mgmt::EventType::Fault);
  EXPECT_EQ(*e.field("component"), "flow-table");
  EXPECT_EQ(*e.field("reason"), "flow-table-full");
  EXPECT_EQ(*e.field("from_zone"), "internet");
  EXPECT_EQ(*e.field("to_zone"), "portal");
  EXPECT_EQ(*e.field("src"), "203.0.113.10");
  EXPECT_EQ(*e.field("dst"), "172.16.30.10");
  EXPECT_EQ(*e.field("sport"), "41009");
  EXPECT_EQ(*e.field("dport"), "443");
  EXPECT_EQ(e.message, "new flow internet -> portal refused: the flow limit (flows.max) is reached");
}

TEST(FlowLimitGateway, TheCounterIsTheFlowTableFullDropReason) {
  const auto p = fixturePolicy();
  std::map<std::string, PacketBytesCount> c;
  c[policy::kNftFlowTableFullCounter] = {3, 180};
  const auto s = statsFromNftCounters(p, c);
  const auto it = std::find_if(s.drops.begin(), s.drops.end(), [](const auto& d) { return d.first == "flow-table-full"; });
  ASSERT_NE(it, s.drops.end());
  EXPECT_EQ(it->second, 3u);
  const auto none = statsFromNftCounters(p, {});
  EXPECT_TRUE(std::none_of(none.drops.begin(), none.drops.end(),
                           [](const auto& d) { return d.first == "flow-table-full"; }));
}

}  // namespace
}  // namespace isogate::gateway
