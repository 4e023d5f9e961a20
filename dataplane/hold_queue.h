// A worker's small bounded queue of packets waiting for their next hop's MAC
// (as the Linux kernel keeps them), so the first packet of a flow to an
// unresolved neighbour is sent once ARP / ND answers instead of being lost.
// Fixed size, owned by one worker thread: no locks, no allocation.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/packet_meta.h"

namespace isogate::dataplane {

struct HoldQueue {
  static constexpr uint16_t kCapacity = 64;
  struct Entry {
    rte_mbuf* mbuf;
    U128 nextHop;
    uint64_t deadline;  // TSC after which the packet is dropped as neighbour-unresolved
    uint16_t port;
    uint16_t l2Len;  // TTL not yet decremented: done once, on release
    bool v6;
  };
  Entry entries[kCapacity];
  uint16_t count = 0;

  bool full() const noexcept { return count == kCapacity; }
  void push(const Entry& e) noexcept { entries[count++] = e; }
  // Frees every held packet (worker teardown).
  void freeAll() noexcept {
    for (uint16_t i = 0; i < count; ++i) rte_pktmbuf_free(entries[i].mbuf);
    count = 0;
  }
};

}  // namespace isogate::dataplane
