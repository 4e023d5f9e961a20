#include "gateway/nft_backend.h"

#include <gtest/gtest.h>

#include "policy/pipeline.h"
#include "tests/gateway/gateway_fixture.h"

namespace isogate::gateway {
namespace {

// A kernel stand-in: holds one table, refuses or corrupts on request.
class FakeSink : public RulesetSink {
 public:
  bool replace(const policy::NftRuleset& rs, std::string& error) override {
    replaced.push_back(rs);
    if (refuseNext) {
      refuseNext = false;
      error = "Operation not permitted";
      return false;
    }
    table = rs;
    if (corruptNext) {
      corruptNext = false;
      table->chains.pop_back();
    }
    return true;
  }
  bool verify(const policy::NftRuleset& rs, std::string& error) override {
    if (table && *table == rs) return true;
    error = "chain count differs";
    return false;
  }
  bool tableExists() override { return table.has_value(); }

  std::optional<policy::NftRuleset> table;
  std::vector<policy::NftRuleset> replaced;
  bool refuseNext = false, corruptNext = false;
};

class NftBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto build = policy::buildPolicyFile(testing::kFixturePolicy);
    ASSERT_TRUE(build.ok());
    policy_ = *build.compiled;
    itfs_ = {{"ext0", "extranet", false, policy_.findZone("extranet")},
             {"mon0", "intranet", true, policy_.findZone("intranet")}};
  }
  ConntrackSweeper sweeper() {
    return [this](const policy::CompiledPolicy& p, const std::vector<policy::IpAddress>&, const policy::LocalTime&) {
      swept.push_back(p.digest);
    };
  }
  std::vector<std::string> swept;
  policy::CompiledPolicy policy_;
  std::vector<BackendInterface> itfs_;
  FakeSink sink_;
};

TEST_F(NftBackendTest, StartInstallsTheFailClosedForwardChain) {
  NftBackend backend(sink_, {}, sweeper());
  std::string error;
  ASSERT_TRUE(backend.start(error)) << error;
  ASSERT_TRUE(sink_.table);
  ASSERT_EQ(sink_.table->chains.size(), 1u);
  const auto& fwd = sink_.table->chains[0];
  ASSERT_TRUE(fwd.base);
  EXPECT_EQ(fwd.base->hook, policy::NftHook::Forward);
  EXPECT_TRUE(fwd.base->policyDrop);
  EXPECT_TRUE(fwd.rules.empty());
}

TEST_F(NftBackendTest, StartKeepsRulesOfAnEarlierRun) {
  sink_.table = policy::buildNftRuleset(policy_);
  NftBackend backend(sink_, {}, sweeper());
  std::string error;
  ASSERT_TRUE(backend.start(error));
  EXPECT_TRUE(sink_.replaced.empty());  // never replaced by something weaker, not even briefly
}

TEST_F(NftBackendTest, AppliesTheModelOfPolicyAndInterfaces) {
  NftBackend backend(sink_, {}, sweeper());
  auto r = backend.apply(policy_, itfs_);
  ASSERT_TRUE(r.ok) << r.error;
  policy::NftBuildOptions o = policy::hostNftBuildOptions();
  o.interfaces = {{"ext0", static_cast<uint16_t>(policy_.findZone("extranet")), false},
                  {"mon0", static_cast<uint16_t>(policy_.findZone("intranet")), true}};
  EXPECT_EQ(*sink_.table, policy::buildNftRuleset(policy_, o));
  EXPECT_EQ(swept, std::vector<std::string>{policy_.digest});  // revoked flows ended after the swap
}

TEST_F(NftBackendTest, RefusedCommitKeepsTheRunningRules) {
  NftBackend backend(sink_, {}, sweeper());
  ASSERT_TRUE(backend.apply(policy_, itfs_).ok);
  auto running = *sink_.table;
  sink_.refuseNext = true;
  auto r = backend.apply(policy_, {});
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.failedClosed);
  EXPECT_EQ(r.error, "Operation not permitted");
  EXPECT_EQ(*sink_.table, running);
  EXPECT_EQ(swept.size(), 1u);  // only the applied policy swept
}

TEST_F(NftBackendTest, ReadbackMismatchFailsClosed) {
  NftBackend backend(sink_, {}, sweeper());
  sink_.corruptNext = true;
  auto r = backend.apply(policy_, itfs_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.failedClosed);
  EXPECT_EQ(r.error, "readback mismatch: chain count differs");
  EXPECT_EQ(*sink_.table, failClosedRuleset());
}

TEST_F(NftBackendTest, InterfaceWithoutZoneIsRefusedBeforeTheKernel) {
  NftBackend backend(sink_, {}, sweeper());
  itfs_[0].zoneId = -1;
  auto r = backend.apply(policy_, itfs_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(sink_.replaced.empty());
}

}  // namespace
}  // namespace isogate::gateway
