// The memory of the flow table's lines (dataplane/fast_path_memory.h) under an EAL without
// hugepages, as the tests and the --no-huge gateway run: a mapping of its own, aligned to
// 2 MiB, zeroed, every page present before the data path sees it, advised for transparent
// huge pages, with the asked node preferred; released, the mapping is gone. What the kernel
// says about the mapping is read from /proc/self/smaps and /proc/self/numa_maps.
#include "dataplane/fast_path_memory.h"

#include <gtest/gtest.h>
#include <rte_eal.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/dataplane/harness.h"
#include "tests/proc_smaps.h"

namespace isogate::dataplane {
namespace {

using testing::smapsBlockStartingAt;
using testing::smapsKb;

std::string numaMapsOf(const void* p) {
  std::ifstream in("/proc/self/numa_maps");
  std::ostringstream hex;
  hex << std::hex << reinterpret_cast<uintptr_t>(p) << ' ';
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(hex.str(), 0) == 0) return line;
  return "";
}

TEST(FastPathMemoryTest, WithoutHugepagesItIsAnAlignedZeroedPresentMappingAdvisedForHugePages) {
  ASSERT_NE(test::EalEnvironment::pool(), nullptr);  // the EAL is up (and the harness linked in)
  ASSERT_EQ(rte_eal_has_hugepages(), 0)
      << "the test EAL runs --no-huge (tests/dataplane/harness.cc)";
  const size_t bytes = (size_t{5} << 20) + 100;  // rounded up to three huge pages
  FastPathMemory m;
  std::string error;
  ASSERT_TRUE(m.allocate("test table", bytes, 0, &error)) << error;
  ASSERT_TRUE(m.ownMapping());
  const auto* p = static_cast<const unsigned char*>(m.data());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % FastPathMemory::kHugePage, 0u);
  size_t nonzero = 0;
  for (size_t i = 0; i < bytes; ++i) nonzero += p[i] != 0;
  EXPECT_EQ(nonzero, 0u);

  const std::string smaps = smapsBlockStartingAt(p);
  ASSERT_FALSE(smaps.empty()) << "no mapping starts at the table";
  EXPECT_EQ(smapsKb(smaps, "Size"), 6 * 1024) << smaps;  // exactly the aligned part kept
  EXPECT_EQ(smapsKb(smaps, "Rss"), 6 * 1024) << "every page present\n" << smaps;
  const auto flags = smaps.find("VmFlags:");
  ASSERT_NE(flags, std::string::npos) << smaps;
  EXPECT_NE(smaps.find(" hg", flags), std::string::npos) << "MADV_HUGEPAGE\n" << smaps;

  std::ifstream numa("/proc/self/numa_maps");
  if (numa) {
    EXPECT_NE(numaMapsOf(p).find("prefer:0"), std::string::npos) << numaMapsOf(p);
  }

  m.release();
  EXPECT_EQ(m.data(), nullptr);
  EXPECT_TRUE(smapsBlockStartingAt(p).empty()) << "released, the mapping is gone";
}

TEST(FastPathMemoryTest, AllocatingAgainReleasesTheFirstMapping) {
  ASSERT_NE(test::EalEnvironment::pool(), nullptr);
  FastPathMemory m;
  std::string error;
  ASSERT_TRUE(m.allocate("first", FastPathMemory::kHugePage, 0, &error)) << error;
  const void* first = m.data();
  ASSERT_TRUE(m.allocate("second", 3 * FastPathMemory::kHugePage, 0, &error)) << error;
  if (m.data() != first) {
    EXPECT_TRUE(smapsBlockStartingAt(first).empty()) << "the first mapping is still there";
  }
  EXPECT_EQ(smapsKb(smapsBlockStartingAt(m.data()), "Size"), 6 * 1024);
}

}  // namespace
}  // namespace isogate::dataplane
