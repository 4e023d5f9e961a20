// The netlink batch encoder without a kernel: message framing, the single
// ACK, and precise errors for what cannot be encoded.
#include "gateway/nft_batch.h"

#include <gtest/gtest.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "tests/policy/nft_test_policies.h"

namespace isogate::gateway {
namespace {

std::vector<const nlmsghdr*> messages(const NftBatch& b) {
  std::vector<const nlmsghdr*> out;
  size_t off = 0;
  while (off < b.bytes.size()) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(b.bytes.data() + off);
    out.push_back(nlh);
    off += NLMSG_ALIGN(nlh->nlmsg_len);
  }
  return out;
}

TEST(NftBatch, OneTransactionWithOneAckOnTheLastCommand) {
  const auto rs = policy::buildNftRuleset(policy::testing::smallPolicy());
  const NftBatch b = encodeNftBatch(rs, 100);
  ASSERT_TRUE(b.ok()) << b.error;
  const auto msgs = messages(b);
  ASSERT_EQ(msgs.size(), b.what.size());
  EXPECT_EQ(msgs.front()->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(msgs.back()->nlmsg_type, NFNL_MSG_BATCH_END);
  EXPECT_EQ(b.firstSeq, 100u);
  EXPECT_EQ(b.lastSeq, 100u + msgs.size() - 1);
  size_t acks = 0;
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i]->nlmsg_seq, 100u + i);
    acks += (msgs[i]->nlmsg_flags & NLM_F_ACK) != 0;
  }
  EXPECT_EQ(acks, 1u);
  EXPECT_NE(msgs[msgs.size() - 2]->nlmsg_flags & NLM_F_ACK, 0);
  EXPECT_EQ(b.what[1], "add table inet isogate (so it exists to delete)");
  EXPECT_EQ(b.what[2], "delete table inet isogate");
  EXPECT_EQ(b.what[msgs.size() - 2], "add rule 2 to chain pair_internet_internet (intra_zone: allow (only new flows))");
  size_t rules = 0;
  for (const auto& w : b.what) rules += w.rfind("add rule ", 0) == 0;
  EXPECT_EQ(rules, rs.ruleCount());
}

TEST(NftBatch, UnencodableRuleIsAnErrorNamingIt) {
  auto rs = policy::buildNftRuleset(policy::testing::smallPolicy());
  policy::NftMatch m;
  m.field = policy::NftField::IifName;
  m.text = "an-interface-name-too-long";
  rs.chains[0].rules[0].matches.push_back(m);
  const NftBatch b = encodeNftBatch(rs, 1);
  EXPECT_FALSE(b.ok());
  EXPECT_EQ(b.error, "cannot encode the ruleset: chain forward rule 0: bad interface name 'an-interface-name-too-long'");
  EXPECT_TRUE(b.bytes.empty());
}

TEST(NftBatch, IntervalSetsAreStoredWithEndMarkers) {
  using policy::NftInterval;
  // [10, 20]: leading end at 0, start 10, end 21.
  EXPECT_EQ(nftKernelElementCount({NftInterval{10, 20}}, policy::Family::V4), 3u);
  // Starts at 0 and runs to the maximum: a single open start.
  EXPECT_EQ(nftKernelElementCount({NftInterval{0, 0xffffffffu}}, policy::Family::V4), 1u);
  EXPECT_EQ(nftKernelElementCount({NftInterval{0, 9}, NftInterval{10, 0xffffffffu}}, policy::Family::V4), 3u);
}

}  // namespace
}  // namespace isogate::gateway
