// Where a worker leaves the packets to transmit, per egress port. The caller
// (the gateway's RX/TX loop, or a test) sends them with rte_eth_tx_burst and
// frees what the NIC did not take, then clear()s. Monitor ports never get any.
#pragma once

#include <rte_mbuf.h>

#include "dataplane/config.h"
#include "dataplane/packet_meta.h"

namespace isogate::dataplane {

struct TxBuffer {
  static constexpr uint16_t kDepth = 2 * kLaneDepth;
  struct Queue {
    uint16_t count = 0;
    rte_mbuf* pkts[kDepth];
  };
  Queue port[kMaxPorts];

  void clear() noexcept {
    for (auto& q : port) q.count = 0;
  }
  // Frees everything queued (tests and shutdown).
  void freeAll() noexcept {
    for (auto& q : port) {
      for (uint16_t i = 0; i < q.count; ++i) rte_pktmbuf_free(q.pkts[i]);
      q.count = 0;
    }
  }
};

}  // namespace isogate::dataplane
