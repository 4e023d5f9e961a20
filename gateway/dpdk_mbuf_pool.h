// The gateway's mbuf pool: every packet buffer of every port.
//
// With the EAL in hugepages it is rte_pktmbuf_pool_create's, in the DPDK heap. Without
// (`--no-huge`) the EAL's heap is a memfd in 4 KiB pages (shared memory, which gets no
// transparent huge pages in the kernel's default `shmem_enabled=never`), and a PMD that reads
// or writes packets all over a pool of hundreds of MiB takes a page walk for most of them
// (docs/PERFORMANCE.md). When every port is a virtual device (software: net_pcap,
// net_af_packet, net_tap, net_ring, net_null), the pool's objects then go into a mapping of
// their own in transparent huge pages (dataplane::FastPathMemory). A physical device keeps the
// heap's memory, which the EAL has mapped for its DMA; this mapping has no IO address.
#pragma once

#include <string>

#include "dataplane/fast_path_memory.h"

struct rte_mempool;

namespace isogate::gateway {

class MbufPool {
 public:
  MbufPool() = default;
  MbufPool(const MbufPool&) = delete;
  MbufPool& operator=(const MbufPool&) = delete;
  ~MbufPool() { release(); }

  // After rte_eal_init(). `softwareOnly`: no port does DMA, so the pool may live outside the
  // DPDK heap. Releases what it held first.
  bool create(const char* name, unsigned mbufs, unsigned cache, bool softwareOnly,
              std::string& error);
  void release() noexcept;

  rte_mempool* get() const noexcept { return pool_; }
  // Whether the objects are in a mapping of their own (not the DPDK heap).
  bool ownMapping() const noexcept { return memory_.ownMapping(); }

 private:
  bool createInOwnMapping(const char* name, unsigned mbufs, unsigned cache, std::string& error);

  rte_mempool* pool_ = nullptr;
  dataplane::FastPathMemory memory_;  // the objects, when not in the DPDK heap
};

}  // namespace isogate::gateway
