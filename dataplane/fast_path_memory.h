// Memory the fast path reads at random: the flow table's buckets and slots, and (in the
// gateway, when every port is a software device: gateway/dpdk_mbuf_pool.h) the packet buffers.
//
// With the EAL in hugepages it comes from the DPDK heap on the asked socket, as before.
// Without (`--no-huge`) the DPDK heap is in 4 KiB pages, and at 100k flows a random read of
// the table costs a page walk besides its cache line (docs/PERFORMANCE.md). The memory then
// is an anonymous mapping of its own, aligned to 2 MiB and advised for transparent huge
// pages (the kernel's `madvise` and `always` modes give them; `never` leaves 4 KiB pages,
// the cost of before), with the socket's node as preferred placement.
//
// Either way the memory is zeroed and present on return: the data path takes no first-touch
// page fault on it, and a box short of memory finds out at start, as with the heap
// (gateway/dpdk_heap_prefault.h). It is not locked: swapping, or the kernel merging 4 KiB
// pages into a huge page later (khugepaged), can still fault, as for the `--no-huge` heap.
#pragma once

#include <cstddef>
#include <string>

namespace isogate::dataplane {

class FastPathMemory {
 public:
  FastPathMemory() = default;
  FastPathMemory(const FastPathMemory&) = delete;
  FastPathMemory& operator=(const FastPathMemory&) = delete;
  ~FastPathMemory() { release(); }

  // After rte_eal_init(). Releases what it held first. `name` names the memory in the DPDK
  // heap and in `*error`. Aligned to 64 bytes at least.
  bool allocate(const std::string& name, size_t bytes, int socket, std::string* error);
  void release() noexcept;

  void* data() const noexcept { return data_; }
  // Whether the memory is a mapping of its own (the EAL runs without hugepages).
  bool ownMapping() const noexcept { return mapBytes_ != 0; }

  static constexpr size_t kHugePage = size_t{2} << 20;

 private:
  void* data_ = nullptr;
  size_t mapBytes_ = 0;  // the mapping's length; 0: data_ is from the DPDK heap
};

}  // namespace isogate::dataplane
