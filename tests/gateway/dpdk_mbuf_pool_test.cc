// The gateway's mbuf pool under an EAL without hugepages: with software ports only, its
// objects are initialised mbufs in an anonymous mapping advised for transparent huge pages
// (not the EAL's memfd heap), exactly as many as asked, and a PMD receives into them; a pool
// for any other device stays in the heap. Where an mbuf lives is read from
// /proc/self/smaps.
#include "gateway/dpdk_mbuf_pool.h"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gateway/dpdk_ports.h"
#include "tests/proc_smaps.h"

namespace isogate::gateway {
namespace {

bool ealUp() {
  static const bool up = [] {
    const std::string prefix = "isogate-mbuf-pool-test-" + std::to_string(getpid());
    std::vector<std::string> args{"test",
                                  "--no-huge",
                                  "-m",
                                  "128",
                                  "--no-pci",
                                  "--no-shconf",
                                  "-l",
                                  "0",
                                  "--vdev=net_null0",
                                  "--file-prefix",
                                  prefix,
                                  "--log-level",
                                  "3"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    return rte_eal_init(static_cast<int>(argv.size()), argv.data()) >= 0 &&
           !rte_eal_has_hugepages();
  }();
  return up;
}

// The smaps header line of the mapping holding `addr` (range, flags, path); "" when none.
std::string mappingOf(const void* addr) {
  return testing::smapsLine(testing::smapsBlockOf(addr), "");
}

// An anonymous mapping (no file or memfd behind it) advised for transparent huge pages.
bool inAnonymousHugePageMapping(const void* addr) {
  const std::string block = testing::smapsBlockOf(addr);
  const bool anonymous =
      !block.empty() && testing::smapsLine(block, "").find('/') == std::string::npos;
  return anonymous && testing::smapsLine(block, "VmFlags").find(" hg") != std::string::npos;
}

TEST(MbufPoolTest, SoftwarePortsGetExactlyTheAskedInitialisedMbufsInAHugePageMapping) {
  ASSERT_TRUE(ealUp());
  constexpr unsigned kMbufs = 4095;
  MbufPool pool;
  std::string error;
  ASSERT_TRUE(pool.create("own", kMbufs, 32, true, error)) << error;
  EXPECT_TRUE(pool.ownMapping());
  rte_mempool* mp = pool.get();
  EXPECT_EQ(rte_mempool_avail_count(mp), kMbufs);
  EXPECT_EQ(rte_pktmbuf_data_room_size(mp), RTE_MBUF_DEFAULT_BUF_SIZE);

  std::vector<rte_mbuf*> all(kMbufs);
  ASSERT_EQ(rte_pktmbuf_alloc_bulk(mp, all.data(), kMbufs), 0);
  rte_mbuf* extra = rte_pktmbuf_alloc(mp);
  EXPECT_EQ(extra, nullptr) << "the pool holds more mbufs than asked";
  if (extra) rte_pktmbuf_free(extra);
  for (rte_mbuf* m : all) {
    ASSERT_EQ(m->pool, mp);
    ASSERT_EQ(m->buf_addr, reinterpret_cast<char*>(m) + sizeof(rte_mbuf));
    ASSERT_EQ(m->buf_len, RTE_MBUF_DEFAULT_BUF_SIZE);
    ASSERT_EQ(m->data_off, RTE_PKTMBUF_HEADROOM);
    ASSERT_EQ(m->nb_segs, 1);
    ASSERT_EQ(rte_mbuf_refcnt_read(m), 1);
  }
  // Distinct objects that do not overlap, each wholly in the huge page mapping.
  std::vector<uintptr_t> at;
  for (rte_mbuf* m : all) at.push_back(reinterpret_cast<uintptr_t>(m));
  std::sort(at.begin(), at.end());
  for (size_t i = 1; i < at.size(); ++i) {
    ASSERT_GE(at[i] - at[i - 1], sizeof(rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE) << "object " << i;
  }
  const auto* first = reinterpret_cast<const char*>(at.front());
  const auto* lastEnd =
      reinterpret_cast<const char*>(at.back()) + sizeof(rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE - 1;
  EXPECT_TRUE(inAnonymousHugePageMapping(first)) << testing::smapsBlockOf(first);
  EXPECT_TRUE(inAnonymousHugePageMapping(lastEnd)) << mappingOf(lastEnd);
  // Every data room is usable to its end.
  for (rte_mbuf* m : all) std::memset(m->buf_addr, 0xab, m->buf_len);
  rte_pktmbuf_free_bulk(all.data(), kMbufs);
  EXPECT_EQ(rte_mempool_avail_count(mp), kMbufs);
}

TEST(MbufPoolTest, APoolForAnyOtherDeviceStaysInTheDpdkHeap) {
  ASSERT_TRUE(ealUp());
  MbufPool pool;
  std::string error;
  ASSERT_TRUE(pool.create("heap", 1023, 32, false, error)) << error;
  EXPECT_FALSE(pool.ownMapping());
  rte_mbuf* m = rte_pktmbuf_alloc(pool.get());
  ASSERT_NE(m, nullptr);
  // The --no-huge heap is the EAL's memfd: a mapping with a name, not our anonymous one.
  EXPECT_FALSE(inAnonymousHugePageMapping(m)) << mappingOf(m);
  EXPECT_NE(mappingOf(m).find("memfd"), std::string::npos) << mappingOf(m);
  rte_pktmbuf_free(m);
}

TEST(MbufPoolTest, ReleaseUnmapsTheObjectsAndTheNameCanBeUsedAgain) {
  ASSERT_TRUE(ealUp());
  MbufPool pool;
  std::string error;
  ASSERT_TRUE(pool.create("again", 1023, 32, true, error)) << error;
  rte_mbuf* m = rte_pktmbuf_alloc(pool.get());
  ASSERT_NE(m, nullptr);
  const void* where = m;
  rte_pktmbuf_free(m);
  pool.release();
  EXPECT_EQ(pool.get(), nullptr);
  EXPECT_EQ(mappingOf(where), "") << "still mapped after release";
  EXPECT_EQ(rte_mempool_lookup("again"), nullptr);
  ASSERT_TRUE(pool.create("again", 1023, 32, true, error)) << error;
  EXPECT_EQ(rte_mempool_avail_count(pool.get()), 1023u);
}

// A second pool of a taken name: the EAL refuses it, the error says exactly `want`, the
// refused pool holds no pool and no mapping, and the first is untouched.
void expectTakenNameRefused(const char* name, bool softwareOnly, const std::string& want) {
  MbufPool first;
  std::string error;
  ASSERT_TRUE(first.create(name, 1023, 32, softwareOnly, error)) << error;
  MbufPool second;
  EXPECT_FALSE(second.create(name, 511, 32, softwareOnly, error));
  EXPECT_EQ(error, want);
  EXPECT_EQ(second.get(), nullptr);
  EXPECT_FALSE(second.ownMapping());
  EXPECT_EQ(rte_mempool_avail_count(first.get()), 1023u);
}

TEST(MbufPoolTest, AFailedCreationSaysWhyAndHoldsNothing) {
  ASSERT_TRUE(ealUp());
  expectTakenNameRefused(
      "taken", true, "cannot create a pool of 511 mbufs: rte_mempool_create_empty: File exists");
}

// In the EAL's heap, more memory (-m) is the remedy for a short heap only, so only then does
// the message say so.
TEST(MbufPoolTest, AHeapPoolSaysToRaiseMOnlyWhenTheHeapIsShort) {
  ASSERT_TRUE(ealUp());
  expectTakenNameRefused("heap-taken", false, "cannot create a pool of 511 mbufs: File exists");
  // About 40 GiB of mbufs: far more than the test's heap.
  MbufPool huge;
  std::string error;
  EXPECT_FALSE(huge.create("heap-huge", 16u << 20, 32, false, error));
  EXPECT_EQ(
      error,
      "cannot create a pool of 16777216 mbufs: Cannot allocate memory (raise -m in dpdk.eal)");
  EXPECT_EQ(huge.get(), nullptr);
}

TEST(MbufPoolTest, OnlyDriversThatCopyInThisProcessMayUseTheOwnMapping) {
  for (const char* d :
       {"net_pcap", "net_af_packet", "net_tap", "net_tun", "net_ring", "net_null"}) {
    EXPECT_TRUE(copiesOnlyInProcess(d)) << d;
  }
  // DMA, or the EAL's memory shared with a vhost peer, memif's other side or the kernel (XDP).
  for (const char* d :
       {"net_ixgbe", "net_i40e", "mlx5_pci", "net_virtio", "net_virtio_user", "net_vhost",
        "net_memif", "net_af_xdp", "net_bonding", "", "net_pcapx", "net_pca"}) {
    EXPECT_FALSE(copiesOnlyInProcess(d)) << d;
  }
}

TEST(MbufPoolTest, AVirtualDevicePortReceivesIntoTheHugePageMapping) {
  ASSERT_TRUE(ealUp());
  DpdkPorts ports;
  std::string error;
  ASSERT_TRUE(ports.open({{"sink", "net_null0", false}}, 1, error)) << error;
  EXPECT_TRUE(ports.poolOwnMapping());
  rte_mbuf* pkts[32];
  const uint16_t n = rte_eth_rx_burst(ports.portId(0), 0, pkts, 32);
  ASSERT_GT(n, 0) << "net_null received nothing";
  for (uint16_t i = 0; i < n; ++i) {
    EXPECT_EQ(pkts[i]->pool, ports.pool());
    EXPECT_TRUE(inAnonymousHugePageMapping(rte_pktmbuf_mtod(pkts[i], void*))) << i;
  }
  rte_pktmbuf_free_bulk(pkts, n);
  ports.close();
}

}  // namespace
}  // namespace isogate::gateway
