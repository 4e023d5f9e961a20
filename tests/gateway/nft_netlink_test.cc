// End to end (root, throwaway network namespaces): the netlink emitter loads
// exactly what `nft -f` of the text emitter loads, replaces the table
// atomically, and its readback catches a table that differs.
#include "gateway/nft_netlink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>

#include "policy/nft_text.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/policy/netns_helpers.h"
#include "tests/policy/nft_test_policies.h"

namespace isogate::gateway {
namespace {

using isogate::testing::ScopedNetns;
using isogate::testing::writeFile;
using policy::NftRuleset;
using testing::openIn;

policy::NftBuildOptions withInterfaces() {
  policy::NftBuildOptions o;
  o.interfaces = {{"ext0", 1, false}, {"prt0", 2, false}, {"inet0", 3, false}, {"tap0", 0, true}};
  o.utcOffsetMinutes = 480;
  return o;
}

class NftNetlinkE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    ISOGATE_SKIP_UNLESS_ROOT("needs root for network namespaces");
    dir_ = std::string(ISOGATE_BINARY_DIR) + "/tests/nft_netlink_" + std::to_string(getpid());
    std::filesystem::create_directories(dir_);
  }

  std::string listing(const ScopedNetns& ns) {
    const auto r = ns.exec("nft list ruleset");
    EXPECT_EQ(r.status, 0) << r.output;
    return r.output;
  }

  // Loads `rs` through netlink in one namespace and through nft -f of the
  // text in another, and expects the same listing.
  void expectSameAsText(const std::string& label, const NftRuleset& rs) {
    ScopedNetns viaNetlink("nftnl"), viaText("nftnl");
    ASSERT_TRUE(viaNetlink.ok() && viaText.ok());
    NftNetlink nl;
    std::string err;
    ASSERT_TRUE(openIn(viaNetlink, nl, &err)) << err;
    const auto r = nl.apply(rs);
    ASSERT_TRUE(r.ok) << label << ": " << r.error;
    EXPECT_EQ(nl.verify(rs), "");
    const std::string path = dir_ + "/" + label + ".nft";
    ASSERT_TRUE(writeFile(path, policy::renderNftText(rs)));
    const auto t = viaText.exec("nft -f " + path);
    ASSERT_EQ(t.status, 0) << t.output;
    const std::string a = listing(viaNetlink), b = listing(viaText);
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, b) << label;
  }

  std::string dir_;
};

TEST_F(NftNetlinkE2e, SmallPolicyLoadsLikeTheText) {
  expectSameAsText("small", policy::buildNftRuleset(policy::testing::smallPolicy()));
}

TEST_F(NftNetlinkE2e, InterfacesAndMonitorLoadLikeTheText) {
  expectSameAsText("interfaces", policy::buildNftRuleset(policy::testing::smallPolicy(), withInterfaces()));
}

TEST_F(NftNetlinkE2e, BigPolicyLoadsLikeTheText) {
  expectSameAsText("big5k", policy::buildNftRuleset(policy::testing::bigPolicy(5000)));
}

TEST_F(NftNetlinkE2e, LongPairChainLoadsInPartsLikeTheText) {
  expectSameAsText("onepair", policy::buildNftRuleset(policy::testing::onePairPolicy(2500)));
}

TEST_F(NftNetlinkE2e, ReloadReplacesTheTableAndAdvancesTheGeneration) {
  ScopedNetns ns("nftnl");
  ASSERT_TRUE(ns.ok());
  NftNetlink nl;
  std::string err;
  ASSERT_TRUE(openIn(ns, nl, &err)) << err;
  const auto first = nl.apply(policy::buildNftRuleset(policy::testing::smallPolicy()));
  ASSERT_TRUE(first.ok) << first.error;
  const auto second = policy::buildNftRuleset(policy::testing::smallPolicy(), withInterfaces());
  const auto r = nl.apply(second);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_GT(r.generation, first.generation);
  EXPECT_EQ(nl.verify(second), "");
  const auto tables = ns.exec("nft list tables");
  EXPECT_EQ(tables.output, "table inet isogate\n");
  EXPECT_EQ(nl.removeTable(), "");
  EXPECT_EQ(ns.exec("nft list tables").output, "");
}

TEST_F(NftNetlinkE2e, CountersAreReadByName) {
  ScopedNetns ns("nftnl");
  ASSERT_TRUE(ns.ok());
  NftNetlink nl;
  std::string err;
  ASSERT_TRUE(openIn(ns, nl, &err)) << err;
  const auto rs = policy::buildNftRuleset(policy::testing::smallPolicy(), withInterfaces());
  ASSERT_TRUE(nl.apply(rs).ok);
  auto read = nl.counters(&err);
  ASSERT_TRUE(read.has_value()) << err;
  ASSERT_EQ(read->size(), rs.counters.size());
  for (const auto& c : rs.counters) {
    ASSERT_TRUE(read->count(c.name)) << c.name;
    EXPECT_EQ(read->at(c.name).packets, 0u) << c.name;
  }
  // A counter the kernel moved is read with its values: a rule added by hand in the output
  // chain counts the echo requests and replies of a ping on loopback.
  const std::string name = rs.counters.front().name;
  ASSERT_EQ(ns.exec("nft add rule inet isogate output counter name \"" + name + "\"").status, 0);
  ASSERT_EQ(ns.exec("ip link set lo up").status, 0);
  ASSERT_EQ(ns.exec("ping -c 2 -W 1 127.0.0.1").status, 0);
  read = nl.counters(&err);
  ASSERT_TRUE(read.has_value()) << err;
  EXPECT_GE(read->at(name).packets, 4u) << "two echo requests and two replies leave through output";
  EXPECT_GE(read->at(name).bytes, 4u * 84u);
  // Looked up one by one (what the gateway does for big tables): the same values; more
  // names than one batch of requests; a name the table lacks fails the whole read.
  std::vector<std::string> names;
  for (int round = 0; round < 300; ++round)
    for (const auto& c : rs.counters) names.push_back(c.name);
  auto byName = nl.countersByName(names, &err);
  ASSERT_TRUE(byName.has_value()) << err;
  ASSERT_EQ(byName->size(), rs.counters.size());
  for (const auto& [n, v] : *read) {
    ASSERT_TRUE(byName->count(n)) << n;
    EXPECT_GE(byName->at(n).packets, v.packets) << n;
  }
  EXPECT_GE(byName->at(name).packets, 4u);
  names.insert(names.begin() + 700, "no_such_counter");
  EXPECT_FALSE(nl.countersByName(names, &err).has_value());
  EXPECT_EQ(err, "cannot read the counters: counter no_such_counter: No such file or directory");
  // The socket still answers in step afterwards (no answer of the failed batch left in it).
  ASSERT_TRUE(nl.counters(&err).has_value()) << err;
  byName = nl.countersByName({name}, &err);
  ASSERT_TRUE(byName.has_value()) << err;
  EXPECT_GE(byName->at(name).packets, 4u);
}

TEST_F(NftNetlinkE2e, ARejectedBatchChangesNothing) {
  ScopedNetns ns("nftnl");
  ASSERT_TRUE(ns.ok());
  NftNetlink nl;
  std::string err;
  ASSERT_TRUE(openIn(ns, nl, &err)) << err;
  const auto good = policy::buildNftRuleset(policy::testing::smallPolicy());
  ASSERT_TRUE(nl.apply(good).ok);
  const std::string before = listing(ns);
  auto broken = policy::buildNftRuleset(policy::testing::smallPolicy(), withInterfaces());
  for (auto& s : broken.sets)
    if (s.name == "src_zone_v4") s.elements.back().verdict.chain = "no_such_chain";
  const auto r = nl.apply(broken);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "the kernel rejected the transaction at add elements to set src_zone_v4: No such file or directory");
  EXPECT_EQ(listing(ns), before);
  EXPECT_EQ(nl.verify(good), "");
}

TEST_F(NftNetlinkE2e, ReadbackCatchesATamperedTable) {
  ScopedNetns ns("nftnl");
  ASSERT_TRUE(ns.ok());
  NftNetlink nl;
  std::string err;
  ASSERT_TRUE(openIn(ns, nl, &err)) << err;
  const auto rs = policy::buildNftRuleset(policy::testing::smallPolicy());
  ASSERT_TRUE(nl.apply(rs).ok);
  ASSERT_EQ(ns.exec("nft add rule inet isogate pair_extranet_portal accept").status, 0);
  EXPECT_EQ(nl.verify(rs), "readback mismatch: chain pair_extranet_portal: 5 rules in the kernel, 4 expected");
  ASSERT_TRUE(nl.apply(rs).ok);
  ASSERT_EQ(ns.exec("nft delete element inet isogate zone_portal_v4 { 172.16.30.0/24 }").status, 0);
  EXPECT_EQ(nl.verify(rs), "readback mismatch: set zone_portal_v4: 1 elements in the kernel, 3 expected");
  ASSERT_TRUE(nl.apply(rs).ok);
  ASSERT_EQ(ns.exec("nft delete table inet isogate").status, 0);
  EXPECT_EQ(nl.verify(rs), "readback failed: table inet isogate is not in the kernel");
}

}  // namespace
}  // namespace isogate::gateway
