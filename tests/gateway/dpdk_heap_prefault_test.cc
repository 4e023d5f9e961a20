// prefaultDpdkHeap(): without hugepages every free page of the EAL heap is resident once it
// returns (no page fault left for a worker), and the heap is whole again afterwards.
#include "gateway/dpdk_heap_prefault.h"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

namespace isogate::gateway {
namespace {

// Resident shared-memory pages of this process (the --no-huge heap is a memfd), in KiB.
long rssShmemKib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("RssShmem:", 0) == 0) return std::stol(line.substr(9));
  }
  return -1;
}

size_t heapFreeBytes() {
  rte_malloc_socket_stats st{};
  rte_malloc_get_socket_stats(0, &st);
  return st.heap_freesz_bytes;
}

TEST(DpdkHeapPrefault, WithoutHugepagesTheWholeFreeHeapBecomesResidentAndStaysFree) {
  const std::string prefix = "isogate-prefault-test-" + std::to_string(getpid());
  std::vector<std::string> args{"test",          "--no-huge",   "-m",          "96",
                                "--no-pci",      "--no-shconf", "-l",          "0",
                                "--file-prefix", prefix,        "--log-level", "3"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0);
  ASSERT_FALSE(rte_eal_has_hugepages());

  const size_t freeBefore = heapFreeBytes();
  const long residentBefore = rssShmemKib();
  ASSERT_GE(residentBefore, 0);
  const size_t touched = prefaultDpdkHeap();
  // All of it but what is left below 1 MiB once the blocks' headers are counted.
  EXPECT_GE(touched, freeBefore - (size_t{2} << 20)) << "free before: " << freeBefore;
  EXPECT_LE(touched, freeBefore);
  // Written, hence resident (the kernel supplied the pages now, not on a worker's first touch).
  EXPECT_GE(rssShmemKib() - residentBefore, static_cast<long>(touched / 1024) * 9 / 10);
  // Every block went back: the heap is as free as before, and a block of nearly all of it
  // can still be had.
  EXPECT_EQ(heapFreeBytes(), freeBefore);
  void* big = rte_malloc("after-prefault", freeBefore - (size_t{4} << 20), 4096);
  EXPECT_NE(big, nullptr);
  rte_free(big);
  rte_eal_cleanup();
}

}  // namespace
}  // namespace isogate::gateway
