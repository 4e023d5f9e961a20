// The hold queue: a packet to a next hop whose MAC is unknown waits (bounded
// in number and time) while the gateway resolves it, then leaves rewritten
// exactly as a resolved packet would, with TTL / hop limit decremented once.
#include <gtest/gtest.h>

#include "dataplane/local_reply.h"
#include "dataplane/wire.h"
#include "tests/dataplane/harness.h"

namespace isogate::dataplane::test {
namespace {

using namespace wire;

constexpr uint16_t kExt = 0, kPortal = 1;
const uint8_t kPortalMac[6] = {2, 0, 0, 0, 0, 2};
const uint8_t kServerMac[6] = {2, 0, 0, 0, 0, 0x30};

Bytes arpReplyFromServer() {
  return arpFrame(2, kServerMac, "172.16.30.10", "172.16.30.1", kPortalMac);
}

TEST(HoldQueueTest, Ipv4PacketLeavesAfterTheArpReplyWithTtlDecrementedOnce) {
  Harness h;
  const Outcome req = h.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 443).frame());
  ASSERT_EQ(req.port, kPortal);
  EXPECT_EQ(req.reason, DropReason::None);
  EXPECT_EQ(rd16(req.frame.data() + 12), kEtherArp);
  EXPECT_EQ(rd16(req.frame.data() + 20), 1);
  EXPECT_EQ(rd32(req.frame.data() + 38), 0xac101e0au);
  EXPECT_EQ(h.dp().totals().forwarded, 0u);
  const Outcome o = h.send(kPortal, arpReplyFromServer());
  ASSERT_EQ(o.port, kPortal);
  const Bytes& f = o.frame;
  ASSERT_EQ(rd16(f.data() + 12), kEtherIpv4);
  EXPECT_EQ(std::memcmp(f.data(), kServerMac, 6), 0);
  EXPECT_EQ(std::memcmp(f.data() + 6, kPortalMac, 6), 0);
  const uint8_t* ip = f.data() + 14;
  EXPECT_EQ(ip[8], 63) << "TTL 64 decremented exactly once";
  EXPECT_EQ(fold(sum16(ip, 20)), 0xffff) << "IPv4 header checksum still verifies";
  EXPECT_EQ(rd32(ip + 16), 0xac101e0au);
  EXPECT_EQ(rd16(ip + 20), 40000);
  EXPECT_EQ(h.dp().totals().forwarded, 1u);
  EXPECT_EQ(h.drops(DropReason::NeighbourUnresolved), 0u);
  EXPECT_EQ(h.dp().worker(0).context().held.count, 0u);
}

TEST(HoldQueueTest, VlanTaggedPacketIsHeldAndLeavesUntagged) {
  Harness h;
  Bytes tagged = Pkt::tcp("10.20.5.5", "172.16.30.10", 5000, 443).frame();
  const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x07};
  tagged.insert(tagged.begin() + 12, tag, tag + 4);
  ASSERT_EQ(h.send(kExt, tagged).port, kPortal);
  const Outcome o = h.send(kPortal, arpReplyFromServer());
  ASSERT_EQ(o.port, kPortal);
  ASSERT_EQ(o.frame.size() + 4, tagged.size());
  EXPECT_EQ(rd16(o.frame.data() + 12), kEtherIpv4);
  EXPECT_EQ(o.frame[14 + 8], 63);
  EXPECT_EQ(fold(sum16(o.frame.data() + 14, 20)), 0xffff);
}

TEST(HoldQueueTest, Ipv6PacketLeavesAfterTheNeighbourAdvertWithHopLimitDecrementedOnce) {
  Harness h;
  const Outcome ns = h.send(kExt, Pkt::tcp("fd20::5", "fd30::10", 40000, 22).frame());
  ASSERT_EQ(ns.port, kPortal);
  EXPECT_EQ(ns.reason, DropReason::None);
  EXPECT_EQ(ns.frame[14 + 40], 135);
  const Outcome o = h.send(kPortal, neighbourAdvert("fd30::10", "fd30::10", kServerMac));
  ASSERT_EQ(o.port, kPortal);
  const Bytes& f = o.frame;
  ASSERT_EQ(rd16(f.data() + 12), kEtherIpv6);
  EXPECT_EQ(std::memcmp(f.data(), kServerMac, 6), 0);
  EXPECT_EQ(std::memcmp(f.data() + 6, kPortalMac, 6), 0);
  const uint8_t* ip = f.data() + 14;
  EXPECT_EQ(ip[7], 63) << "hop limit 64 decremented exactly once";
  EXPECT_TRUE(rd128(ip + 24) == policy::parseAddress("fd30::10")->value);
  EXPECT_EQ(ip[6], 6);
  EXPECT_EQ(rd16(ip + 40 + 2), 22);
  EXPECT_EQ(h.dp().totals().forwarded, 1u);
  EXPECT_EQ(h.drops(DropReason::NeighbourUnresolved), 0u);
}

TEST(HoldQueueTest, HeldPacketPastItsDeadlineIsDroppedAndCounted) {
  Harness h;
  ASSERT_EQ(h.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 443).frame()).port, kPortal);
  h.advanceSeconds(0.5);
  h.dp().worker(0).expireFlows(h.now(), 0);
  EXPECT_EQ(h.dp().worker(0).context().held.count, 1u) << "still within neighbourHoldMs";
  EXPECT_EQ(h.drops(DropReason::NeighbourUnresolved), 0u);
  h.advanceSeconds(1);
  h.dp().worker(0).expireFlows(h.now(), 0);
  EXPECT_EQ(h.dp().worker(0).context().held.count, 0u);
  EXPECT_EQ(h.drops(DropReason::NeighbourUnresolved), 1u);
  // A late reply releases nothing.
  EXPECT_EQ(h.send(kPortal, arpReplyFromServer()).port, -1);
  EXPECT_EQ(h.dp().totals().forwarded, 0u);
}

TEST(HoldQueueTest, ExpiryAlsoHappensAtTheEndOfABurst) {
  Harness h;
  ASSERT_EQ(h.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 443).frame()).port, kPortal);
  h.advanceSeconds(1.5);
  const Outcome o = h.send(kExt, Pkt::icmp("10.20.5.5", "10.20.0.1", 8).frame());
  EXPECT_EQ(o.port, kExt) << "the echo reply";
  EXPECT_EQ(o.reason, DropReason::NeighbourUnresolved) << "the held packet timed out";
  EXPECT_EQ(h.dp().worker(0).context().held.count, 0u);
}

TEST(HoldQueueTest, FullQueueDropsAndCounts) {
  Harness h;
  std::vector<Bytes> frames;
  for (uint16_t i = 0; i < HoldQueue::kCapacity; ++i)
    frames.push_back(
        Pkt::tcp("10.20.5.5", "172.16.30.10", static_cast<uint16_t>(1000 + i), 443).frame());
  TxBuffer tx;
  h.sendBurst(kExt, frames, tx);
  ASSERT_EQ(tx.port[kPortal].count, 1) << "one ARP request for all of them";
  tx.freeAll();
  EXPECT_EQ(h.dp().worker(0).context().held.count, HoldQueue::kCapacity);
  EXPECT_EQ(h.drops(DropReason::NeighbourUnresolved), 0u);
  const Outcome over = h.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 999, 443).frame());
  EXPECT_EQ(over.reason, DropReason::NeighbourUnresolved);
  EXPECT_EQ(over.port, -1) << "no request due within the retry interval";
  EXPECT_EQ(h.drops(DropReason::NeighbourUnresolved), 1u);
  // The reply releases all 64 in arrival order (exactly the TX queue's depth).
  h.sendBurst(kPortal, {arpReplyFromServer()}, tx);
  ASSERT_EQ(tx.port[kPortal].count, HoldQueue::kCapacity);
  for (uint16_t i = 0; i < HoldQueue::kCapacity; ++i) {
    const Bytes f = fromMbuf(tx.port[kPortal].pkts[i]);
    EXPECT_EQ(rd16(f.data() + 34), 1000 + i);
    EXPECT_EQ(std::memcmp(f.data(), kServerMac, 6), 0);
  }
  tx.freeAll();
  EXPECT_EQ(h.dp().worker(0).context().held.count, 0u);
  EXPECT_EQ(h.dp().totals().forwarded, uint64_t{HoldQueue::kCapacity});
}

TEST(HoldQueueTest, HeldPacketsAreFreedWithTheWorker) {
  rte_mempool* pool = EalEnvironment::pool();
  const unsigned before = rte_mempool_avail_count(pool);
  {
    Harness h;
    ASSERT_EQ(h.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 1, 443).frame()).port, kPortal);
    EXPECT_EQ(h.dp().worker(0).context().held.count, 1u);
    EXPECT_EQ(rte_mempool_avail_count(pool), before - 1);
  }
  EXPECT_EQ(rte_mempool_avail_count(pool), before);
}

}  // namespace
}  // namespace isogate::dataplane::test
