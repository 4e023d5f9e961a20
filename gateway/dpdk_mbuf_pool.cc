#include "gateway/dpdk_mbuf_pool.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>

#include <cerrno>

#include "gateway/dpdk_error.h"

namespace isogate::gateway {

namespace {

std::string cannotCreate(unsigned mbufs, const std::string& why) {
  return "cannot create a pool of " + std::to_string(mbufs) + " mbufs: " + why;
}

}  // namespace

bool copiesOnlyInProcess(std::string_view driver) {
  for (std::string_view d :
       {"net_pcap", "net_af_packet", "net_tap", "net_tun", "net_ring", "net_null"}) {
    if (driver == d) return true;
  }
  return false;
}

bool MbufPool::create(const char* name, unsigned mbufs, unsigned cache, bool softwareOnly,
                      std::string& error) {
  release();
  if (softwareOnly && !rte_eal_has_hugepages())
    return createInOwnMapping(name, mbufs, cache, error);
  pool_ = rte_pktmbuf_pool_create(name, mbufs, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (!pool_) {
    // Only a short heap is mended by more memory; a taken name or a bad size is not.
    const bool shortHeap = rte_errno == ENOMEM;
    error = cannotCreate(
        mbufs, std::string(rte_strerror(rte_errno)) + (shortHeap ? " (raise -m in dpdk.eal)" : ""));
    return false;
  }
  return true;
}

// rte_pktmbuf_pool_create's steps, with the objects placed in our memory instead of a
// memzone: an empty pool with the mbuf pool's header, its ops, then one chunk of objects
// without an IO address (RTE_MEMPOOL_F_NO_IOVA_CONTIG: they may cross page boundaries, since
// no device needs them contiguous), each object an initialised mbuf.
bool MbufPool::createInOwnMapping(const char* name, unsigned mbufs, unsigned cache,
                                  std::string& error) {
  const uint16_t dataRoom = RTE_MBUF_DEFAULT_BUF_SIZE;
  const unsigned eltSize = sizeof(rte_mbuf) + dataRoom;  // no private area
  const auto fail = [&](const std::string& why) {
    error = cannotCreate(mbufs, why);
    release();
    return false;
  };
  pool_ = rte_mempool_create_empty(name, mbufs, eltSize, cache, sizeof(rte_pktmbuf_pool_private),
                                   SOCKET_ID_ANY, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
  if (!pool_) return fail(dpdkError("rte_mempool_create_empty", rte_errno));
  int rc = rte_mempool_set_ops_byname(pool_, rte_mbuf_best_mempool_ops(), nullptr);
  if (rc != 0) return fail(dpdkError("rte_mempool_set_ops_byname", rc));
  rte_pktmbuf_pool_private priv{};
  priv.mbuf_data_room_size = dataRoom;
  priv.mbuf_priv_size = 0;
  rte_pktmbuf_pool_init(pool_, &priv);
  const size_t bytes = size_t{rte_mempool_calc_obj_size(eltSize, pool_->flags, nullptr)} * mbufs +
                       RTE_CACHE_LINE_SIZE;
  std::string memoryError;
  if (!memory_.allocate(std::string(name) + " objects", bytes, SOCKET_ID_ANY, &memoryError)) {
    return fail(memoryError);
  }
  rc = rte_mempool_populate_iova(pool_, static_cast<char*>(memory_.data()), RTE_BAD_IOVA, bytes,
                                 nullptr, nullptr);
  if (rc < 0) return fail(dpdkError("rte_mempool_populate_iova", rc));
  if (static_cast<unsigned>(rc) != mbufs) {
    return fail("rte_mempool_populate_iova placed only " + std::to_string(rc));
  }
  rte_mempool_obj_iter(pool_, rte_pktmbuf_init, nullptr);
  return true;
}

void MbufPool::release() noexcept {
  // The pool first: it must not outlive the memory of its objects.
  if (pool_) rte_mempool_free(pool_);
  pool_ = nullptr;
  memory_.release();
}

}  // namespace isogate::gateway
