// Hot reload under load: a worker thread keeps a stream of packets going (data
// of established TCP flows both ways, and new UDP flows) while the control
// thread swaps the policy again and again. Every policy allows the whole stream,
// so every packet in must come out: the RCU swap may not drop a single one.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/dataplane/harness.h"

namespace isogate::dataplane::test {
namespace {

constexpr uint16_t kExt = 0, kPortal = 1, kInet = 2;
constexpr uint8_t kSyn = 0x02, kAck = 0x10, kSynAck = 0x12;
constexpr int kFlows = 16;
constexpr int kReloads = 20;
constexpr uint64_t kBurstsPerReload = 5;  // the stream moves on between two swaps

struct StreamCount {
  uint64_t sent = 0, transmitted = 0, wrongPort = 0, bursts = 0;
};

// Transmitted packets per burst, freeing them; those on another port than `expected` counted apart.
void collect(TxBuffer& tx, uint16_t expectedA, uint16_t expectedB, StreamCount& c) {
  for (uint16_t p = 0; p < kMaxPorts; ++p) {
    c.transmitted += tx.port[p].count;
    if (p != expectedA && p != expectedB) c.wrongPort += tx.port[p].count;
  }
  tx.freeAll();
}

TEST(ReloadStreamTest, NoPacketIsDroppedBySwapsUnderAStream) {
  DataplaneConfig config = testConfig();
  config.flowCapacity = 1 << 16;
  Harness h(kTestPolicy, config);
  h.learnHosts({"172.16.30.10", "10.20.5.5", "203.0.113.1"});
  // Established ssh flows extranet -> portal (rule admin-portal).
  for (int f = 0; f < kFlows; ++f) {
    const uint16_t sport = static_cast<uint16_t>(40000 + f);
    ASSERT_TRUE(
        h.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", sport, 22, kSyn).frame()).forwarded());
    ASSERT_TRUE(h.send(kPortal, Pkt::tcp("172.16.30.10", "10.20.5.5", 22, sport, kSynAck).frame())
                    .forwarded());
    ASSERT_TRUE(
        h.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", sport, 22, kAck).frame()).forwarded());
  }
  // A second policy that allows the same and a little more; the swaps alternate between them.
  const auto v1 = compileOrDie(kTestPolicy);
  const auto v2 = compileOrDie(std::string(kTestPolicy) +
                               "  - name: extra-portal-web\n    from: internet\n    to: portal\n"
                               "    services: [{tcp: [8080]}]\n    action: allow\n");
  const CounterTotals before = h.dp().totals();
  const uint32_t generation = h.dp().generation();

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bursts{0};
  StreamCount count;
  const uint64_t now = h.now();
  std::thread worker([&] {
    Worker& w = h.dp().worker(0);
    w.enterLoop();
    TxBuffer tx;
    uint16_t udpPort = 1024;
    rte_mbuf* ms[kBurstSize];
    while (!stop.load(std::memory_order_acquire)) {
      // From the extranet: data of every ssh flow, then new DNS flows to the internet.
      uint16_t n = 0;
      for (int f = 0; f < kFlows; ++f)
        ms[n++] =
            toMbuf(Pkt::tcp("10.20.5.5", "172.16.30.10", static_cast<uint16_t>(40000 + f), 22, kAck)
                       .payload(64)
                       .frame());
      while (n < kBurstSize)
        ms[n++] = toMbuf(Pkt::udp("10.20.5.5", "203.0.113.1", udpPort++, 53).frame());
      if (udpPort >= 1024 + 2048) udpPort = 1024;  // then they are established flows, re-checked
      w.processBurst(kExt, ms, n, tx, now);
      count.sent += n;
      collect(tx, kPortal, kInet, count);
      // From the portal: the servers' side of the ssh flows.
      n = 0;
      for (int f = 0; f < kFlows; ++f)
        ms[n++] =
            toMbuf(Pkt::tcp("172.16.30.10", "10.20.5.5", 22, static_cast<uint16_t>(40000 + f), kAck)
                       .payload(64)
                       .frame());
      w.processBurst(kPortal, ms, n, tx, now);
      count.sent += n;
      collect(tx, kExt, kExt, count);
      bursts.fetch_add(1, std::memory_order_release);
    }
    w.leaveLoop();
  });
  auto waitBursts = [&](uint64_t target) {
    while (bursts.load(std::memory_order_acquire) < target) std::this_thread::yield();
  };
  std::string error;
  bool allInstalled = true;
  for (int r = 0; r < kReloads; ++r) {
    waitBursts(bursts.load(std::memory_order_acquire) + kBurstsPerReload);
    allInstalled = h.dp().installPolicy(r % 2 == 0 ? v2 : v1, {0, 600}, &error) && allInstalled;
  }
  waitBursts(bursts.load(std::memory_order_acquire) + kBurstsPerReload);
  stop.store(true, std::memory_order_release);
  worker.join();

  ASSERT_TRUE(allInstalled) << error;
  EXPECT_EQ(h.dp().generation(), generation + kReloads);
  const CounterTotals after = h.dp().totals();
  EXPECT_GE(count.sent, (kReloads + 1) * kBurstsPerReload * (kBurstSize + kFlows));
  EXPECT_EQ(count.transmitted, count.sent) << "every packet of the stream came out";
  EXPECT_EQ(count.wrongPort, 0u);
  for (int r = 0; r < kDropReasonCount; ++r) {
    EXPECT_EQ(after.drops[r], before.drops[r]) << dropReasonName(static_cast<DropReason>(r));
  }
  EXPECT_EQ(after.rx - before.rx, count.sent);
  EXPECT_EQ(after.forwarded - before.forwarded, count.sent);
  EXPECT_EQ(h.dp().worker(0).context().held.count, 0u);
  // The last policy judged the stream too: the swaps happened while it ran.
  uint64_t judgedByLast = 0;
  for (const PairTotals& p : h.dp().pairTotals()) judgedByLast += p.forwarded.packets;
  EXPECT_GT(judgedByLast, 0u);
}

}  // namespace
}  // namespace isogate::dataplane::test
