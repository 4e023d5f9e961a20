// End to end (root, throwaway network namespaces): a ruleset with a flow limit loads through
// netlink exactly as `nft -f` loads its text (connlimit and limit encoded as nft 1.0.6 does),
// and the readback of the applied table passes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>

#include "gateway/nft_netlink.h"
#include "policy/nft_text.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/policy/netns_helpers.h"
#include "tests/policy/nft_test_policies.h"

namespace isogate::gateway {
namespace {

using isogate::testing::ScopedNetns;
using isogate::testing::writeFile;
using testing::openIn;

TEST(NftFlowLimitNetlink, LimitedRulesetLoadsLikeTheTextAndVerifies) {
  ISOGATE_SKIP_UNLESS_ROOT("needs root for network namespaces");
  policy::NftBuildOptions o;
  o.interfaces = {{"ext0", 1, false}, {"prt0", 2, false}, {"inet0", 3, false}, {"tap0", 0, true}};
  o.flowLimit = 8;
  const policy::NftRuleset rs = policy::buildNftRuleset(policy::testing::smallPolicy(), o);
  ScopedNetns viaNetlink("nftfl"), viaText("nftfl");
  ASSERT_TRUE(viaNetlink.ok() && viaText.ok());
  NftNetlink nl;
  std::string err;
  ASSERT_TRUE(openIn(viaNetlink, nl, &err)) << err;
  const auto r = nl.apply(rs);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(nl.verify(rs), "");
  const std::filesystem::path dir =
      std::filesystem::path(ISOGATE_BINARY_DIR) / "tests" / ("nft_flow_limit_nl_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "limited.nft").string();
  ASSERT_TRUE(writeFile(path, policy::renderNftText(rs)));
  const auto t = viaText.exec("nft -f " + path);
  ASSERT_EQ(t.status, 0) << t.output;
  const auto a = viaNetlink.exec("nft list ruleset");
  const auto b = viaText.exec("nft list ruleset");
  ASSERT_EQ(a.status, 0);
  EXPECT_NE(a.output.find("ct count over 8 counter name \"flow_table_full\" jump flow_refuse"), std::string::npos);
  EXPECT_NE(a.output.find("limit rate 1/second log prefix \"isogate:fault:-:flow-table-full\" group 7"),
            std::string::npos);
  EXPECT_EQ(a.output, b.output);
  // The expressions themselves, as nft 1.0.6 lowers them.
  const auto dbg = viaText.exec("nft --debug=netlink list chain inet isogate flow_admit");
  EXPECT_NE(dbg.output.find("[ connlimit count 8 flags 1 ]"), std::string::npos) << dbg.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace isogate::gateway
