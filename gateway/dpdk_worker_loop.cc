#include "gateway/dpdk_worker_loop.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>

#include <ctime>

namespace isogate::gateway {

namespace {
// After this many empty rounds the worker naps between polls (and is offline for RCU
// meanwhile, so a reload never waits for a napping worker).
constexpr uint32_t kIdleRoundsBeforeNap = 4096;
constexpr long kNapNs = 50000;
}  // namespace

DpdkWorkerLoop::DpdkWorkerLoop(dataplane::Worker& worker, std::vector<uint16_t> portIds, uint16_t queue,
                               bool ordered)
    : worker_(worker), ports_(std::move(portIds)), queue_(queue), ordered_(ordered), ahead_(ports_.size(), nullptr) {
  tsOffset_ = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
}

void DpdkWorkerLoop::flush() {
  for (uint16_t p = 0; p < ports_.size(); ++p) {
    auto& q = tx_.port[p];
    if (q.count == 0) continue;
    uint16_t sent = 0;
    // A few tries absorb a momentarily full TX ring; what is still refused is freed and counted.
    for (int tries = 0; tries < 4 && sent < q.count; ++tries) {
      sent = static_cast<uint16_t>(sent + rte_eth_tx_burst(ports_[p], queue_, q.pkts + sent,
                                                          static_cast<uint16_t>(q.count - sent)));
    }
    if (sent < q.count) {
      for (uint16_t i = sent; i < q.count; ++i) rte_pktmbuf_free(q.pkts[i]);
      txRefused_.store(txRefused_.load(std::memory_order_relaxed) + (q.count - sent), std::memory_order_relaxed);
    }
    q.count = 0;
  }
}

// Several bursts at once, so that the fast lane fetches their connection-table lines ahead,
// but asked for one burst at a time: net_pcap allocates and resets all the mbufs of a request
// before it fills them, and 128 at once left them colder (measured: ~10 cycles per packet,
// docs/PERFORMANCE.md). Stops early when the queue runs dry.
uint16_t DpdkWorkerLoop::receive(uint16_t port, rte_mbuf** pkts) {
  static_assert(dataplane::kLaneDepth % dataplane::kBurstSize == 0, "whole bursts fill the array");
  uint16_t n = 0;
  while (n < dataplane::kLaneDepth) {
    const uint16_t got = rte_eth_rx_burst(port, queue_, pkts + n, dataplane::kBurstSize);
    n = static_cast<uint16_t>(n + got);
    if (got < dataplane::kBurstSize) break;
  }
  return n;
}

uint16_t DpdkWorkerLoop::pollAll(uint64_t now) {
  uint16_t got = 0;
  rte_mbuf* pkts[dataplane::kLaneDepth];
  for (uint16_t p = 0; p < ports_.size(); ++p) {
    const uint16_t n = receive(ports_[p], pkts);
    if (n == 0) continue;
    worker_.processBurst(p, pkts, n, tx_, now);
    got = static_cast<uint16_t>(got + n);
    // Transmit before the TX buffer (two receive bursts deep per port) can fill up.
    flush();
  }
  return got;
}

uint16_t DpdkWorkerLoop::pollOrdered(uint64_t now) {
  int best = -1;
  uint64_t bestTs = 0;
  for (uint16_t p = 0; p < ports_.size(); ++p) {
    if (!ahead_[p] && rte_eth_rx_burst(ports_[p], queue_, &ahead_[p], 1) == 0) ahead_[p] = nullptr;
    if (!ahead_[p]) continue;
    const uint64_t ts = tsOffset_ >= 0 ? *RTE_MBUF_DYNFIELD(ahead_[p], tsOffset_, rte_mbuf_timestamp_t*) : 0;
    if (best < 0 || ts < bestTs) {
      best = p;
      bestTs = ts;
    }
  }
  if (best < 0) return 0;
  rte_mbuf* m = ahead_[best];
  ahead_[best] = nullptr;
  worker_.processBurst(static_cast<uint16_t>(best), &m, 1, tx_, now);
  flush();
  return 1;
}

void DpdkWorkerLoop::idleWait() {
  worker_.leaveLoop();
  timespec ts{0, kNapNs};
  nanosleep(&ts, nullptr);
  worker_.enterLoop();
}

int DpdkWorkerLoop::run() {
  const uint64_t hz = rte_get_tsc_hz();
  uint64_t nextExpire = 0;
  uint32_t emptyRounds = 0;
  worker_.enterLoop();
  while (!stop_.load(std::memory_order_relaxed)) {
    const uint64_t now = rte_rdtsc();
    const uint16_t got = ordered_ ? pollOrdered(now) : pollAll(now);
    if (got) {
      lastRx_.store(now, std::memory_order_relaxed);
      received_.store(received_.load(std::memory_order_relaxed) + got, std::memory_order_relaxed);
      emptyRounds = 0;
    } else {
      // No packet: still report a quiescent state, or a reload would wait for us.
      worker_.processBurst(0, nullptr, 0, tx_, now);
      if (++emptyRounds > kIdleRoundsBeforeNap) idleWait();
    }
    if (now >= nextExpire) {
      worker_.expireFlows(now, 256);
      nextExpire = now + hz / 100;
    }
  }
  for (auto*& m : ahead_) {
    if (m) rte_pktmbuf_free(m);
    m = nullptr;
  }
  tx_.freeAll();
  worker_.leaveLoop();
  return 0;
}

}  // namespace isogate::gateway
