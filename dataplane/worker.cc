#include "dataplane/worker.h"

#include <rte_rcu_qsbr.h>

namespace isogate::dataplane {

Worker::Worker(unsigned index, const Topology& topo, NeighbourTable& neighbours,
               uint32_t fragCapacity, const std::atomic<const PolicyTables*>& tables,
               rte_rcu_qsbr* rcu)
    : ctx_(index, topo, neighbours, fragCapacity),
      tables_(tables),
      rcu_(rcu),
      local_(ctx_),
      zones_(ctx_),
      flows_(ctx_),
      classify_(ctx_, flows_),
      forward_(ctx_),
      monitor_(ctx_),
      account_(ctx_) {}

Worker::~Worker() { ctx_.held.freeAll(); }

void Worker::enterLoop() noexcept {
  rte_rcu_qsbr_thread_online(rcu_, ctx_.index);
  inLoop_ = true;
}

void Worker::leaveLoop() noexcept {
  inLoop_ = false;
  rte_rcu_qsbr_thread_offline(rcu_, ctx_.index);
}

void Worker::processBurst(uint16_t port, rte_mbuf* const* pkts, uint16_t n, TxBuffer& tx,
                          uint64_t now) noexcept {
  if (!inLoop_) rte_rcu_qsbr_thread_online(rcu_, ctx_.index);
  const PolicyTables* tables = tables_.load(std::memory_order_acquire);
  for (uint16_t done = 0; done < n;) {
    const uint16_t chunk = static_cast<uint16_t>(n - done < kBurstSize ? n - done : kBurstSize);
    runChunk(port, pkts + done, chunk, tx, now, tables);
    done = static_cast<uint16_t>(done + chunk);
  }
  if (ctx_.held.count) forward_.releaseHeld(&tx, now);  // after this burst's ARP/ND learning
  if (inLoop_) {
    rte_rcu_qsbr_quiescent(rcu_, ctx_.index);
  } else {
    rte_rcu_qsbr_thread_offline(rcu_, ctx_.index);
  }
}

void Worker::runChunk(uint16_t port, rte_mbuf* const* pkts, uint16_t n, TxBuffer& tx, uint64_t now,
                      const PolicyTables* tables) noexcept {
  Burst& b = burst_;
  b.count = n;
  b.inPort = port;
  b.now = now;
  b.tables = tables;
  for (uint16_t i = 0; i < n; ++i) b.pkts[i] = pkts[i];
  bump(ctx_.counters.rx, n);
  parse_.process(b);
  if (port >= ctx_.topo.portCount() || (!tables && ctx_.topo.monitor(port))) {
    dropAll(b, DropReason::NoPolicy);
  } else if (ctx_.topo.monitor(port)) {
    monitor_.process(b);
  } else if (!tables) {
    // Fail closed: nothing is forwarded or answered without a policy, except ARP and
    // neighbour discovery for the port's own addresses. Hosts resolve their router as soon
    // as it is up; a router that ignored them until its policy arrived would leave their
    // neighbour entries failing (EHOSTUNREACH) for seconds after it did.
    local_.process(b);
    dropAll(b, DropReason::NoPolicy);
  } else {
    local_.process(b);
    zones_.process(b);
    flows_.process(b);
    classify_.process(b);
    forward_.process(b);
  }
  account_.process(b, tx);
}

void Worker::dropAll(Burst& b, DropReason reason) noexcept {
  for (int i = 0; i < b.count; ++i) {
    if (b.live(i)) b.drop(i, reason);
  }
}

uint32_t Worker::expireFlows(uint64_t now, uint32_t budget) noexcept {
  const uint32_t removed = ctx_.flows.expire(now, budget);
  bump(ctx_.counters.flowsExpired, removed);
  if (export_.pending()) export_.serve(ctx_.flows, now);
  if (ctx_.held.count) forward_.releaseHeld(nullptr, now);
  return removed;
}

}  // namespace isogate::dataplane
