// The gateway's mbuf pool: every packet buffer of every port.
//
// With the EAL in hugepages it is rte_pktmbuf_pool_create's, in the DPDK heap. Without
// (`--no-huge`) the EAL's heap is a memfd in 4 KiB pages (shared memory, which gets no
// transparent huge pages in the kernel's default `shmem_enabled=never`), and a PMD that reads
// or writes packets all over a pool of hundreds of MiB takes a page walk for most of them
// (docs/PERFORMANCE.md). When every port's driver touches packets only by their virtual
// address in this process (copiesOnlyInProcess()), the pool's objects then go into a mapping
// of their own in transparent huge pages (dataplane::FastPathMemory). Any other port keeps
// the heap's memory: a physical device does DMA into what the EAL mapped for it, and some
// virtual ones share the EAL's memory with another party; this mapping has no IO address and
// is private to the process.
#pragma once

#include <string>
#include <string_view>

#include "dataplane/fast_path_memory.h"

struct rte_mempool;

namespace isogate::gateway {

// Whether a port of this driver (rte_eth_dev_info::driver_name) reads and writes packet
// buffers only by their virtual address, in this process: net_pcap, net_af_packet, net_tap,
// net_tun, net_ring, net_null. Not a PCI NIC (DMA), nor virtio_user (the vhost peer maps
// the EAL's memory), memif (shares it in zero-copy mode) or af_xdp (registers the pool's
// memory with the kernel as its UMEM).
bool copiesOnlyInProcess(std::string_view driver);

class MbufPool {
 public:
  MbufPool() = default;
  MbufPool(const MbufPool&) = delete;
  MbufPool& operator=(const MbufPool&) = delete;
  ~MbufPool() { release(); }

  // After rte_eal_init(). `softwareOnly`: every port's driver copiesOnlyInProcess(), so the
  // pool may live outside the DPDK heap. Releases what it held first.
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
