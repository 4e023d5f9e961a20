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

namespace isogate::dataplane {
namespace {

// The smaps block of the mapping that starts at p ("" when there is none).
std::string smapsOf(const void* p) {
  std::ifstream in("/proc/self/smaps");
  std::ostringstream hex;
  hex << std::hex << reinterpret_cast<uintptr_t>(p) << '-';
  std::string line, block;
  bool inside = false;
  while (std::getline(in, line)) {
    const bool header = line.find('-') != std::string::npos && line.find(':') > line.find(' ');
    if (header) {
      if (inside) return block;
      inside = line.rfind(hex.str(), 0) == 0;
    }
    if (inside) block += line + "\n";
  }
  return inside ? block : "";
}

// The value in kB of a field of an smaps block ("Rss", "Size", ...), -1 when absent.
long kbOf(const std::string& block, const std::string& field) {
  const auto at = block.find("\n" + field + ":");
  if (at == std::string::npos) return -1;
  return std::stol(block.substr(at + field.size() + 2));
}

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

  const std::string smaps = smapsOf(p);
  ASSERT_FALSE(smaps.empty()) << "no mapping starts at the table";
  EXPECT_EQ(kbOf(smaps, "Size"), 6 * 1024) << smaps;  // exactly the aligned part kept
  EXPECT_EQ(kbOf(smaps, "Rss"), 6 * 1024) << "every page present\n" << smaps;
  const auto flags = smaps.find("VmFlags:");
  ASSERT_NE(flags, std::string::npos) << smaps;
  EXPECT_NE(smaps.find(" hg", flags), std::string::npos) << "MADV_HUGEPAGE\n" << smaps;

  std::ifstream numa("/proc/self/numa_maps");
  if (numa) {
    EXPECT_NE(numaMapsOf(p).find("prefer:0"), std::string::npos) << numaMapsOf(p);
  }

  m.release();
  EXPECT_EQ(m.data(), nullptr);
  EXPECT_TRUE(smapsOf(p).empty()) << "released, the mapping is gone";
}

TEST(FastPathMemoryTest, AllocatingAgainReleasesTheFirstMapping) {
  ASSERT_NE(test::EalEnvironment::pool(), nullptr);
  FastPathMemory m;
  std::string error;
  ASSERT_TRUE(m.allocate("first", FastPathMemory::kHugePage, 0, &error)) << error;
  const void* first = m.data();
  ASSERT_TRUE(m.allocate("second", 3 * FastPathMemory::kHugePage, 0, &error)) << error;
  if (m.data() != first) {
    EXPECT_TRUE(smapsOf(first).empty()) << "the first mapping is still there";
  }
  EXPECT_EQ(kbOf(smapsOf(m.data()), "Size"), 6 * 1024);
}

}  // namespace
}  // namespace isogate::dataplane
