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
      account_(ctx_),
      fast_(ctx_, forward_, account_) {}

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
  const bool lane =
      fastLaneOn_ && tables && port < ctx_.topo.portCount() && !ctx_.topo.monitor(port);
  for (uint16_t start = 0; start < n;) {
    const uint16_t window = static_cast<uint16_t>(n - start < kLaneDepth ? n - start : kLaneDepth);
    if (lane) fast_.prepare(pkts + start, window);
    for (uint16_t done = 0; done < window;) {
      const uint16_t chunk =
          static_cast<uint16_t>(window - done < kBurstSize ? window - done : kBurstSize);
      runChunk(port, pkts + start + done, chunk, tx, now, tables, lane ? done : kNoLane);
      done = static_cast<uint16_t>(done + chunk);
    }
    start = static_cast<uint16_t>(start + window);
  }
  if (ctx_.held.count) forward_.releaseHeld(&tx, now);  // after this burst's ARP/ND learning
  if (inLoop_) {
    rte_rcu_qsbr_quiescent(rcu_, ctx_.index);
  } else {
    rte_rcu_qsbr_thread_offline(rcu_, ctx_.index);
  }
}

void Worker::runChunk(uint16_t port, rte_mbuf* const* pkts, uint16_t n, TxBuffer& tx, uint64_t now,
                      const PolicyTables* tables, int laneFirst) noexcept {
  Burst& b = burst_;
  b.count = n;
  b.inPort = port;
  b.now = now;
  b.tables = tables;
  for (uint16_t i = 0; i < n; ++i) b.pkts[i] = pkts[i];
  bump(ctx_.counters.rx, n);
  if (laneFirst != kNoLane) {
    const uint16_t done = fast_.run(b, static_cast<uint16_t>(laneFirst), tx);
    if (done == n) return;
    // The rest through the pipeline, as a burst of its own.
    b.count = static_cast<uint16_t>(n - done);
    for (uint16_t i = 0; i < b.count; ++i) b.pkts[i] = b.pkts[done + i];
  }
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
    judge(b, tx);
    return;
  }
  account_.process(b, tx);
}

// The forwarding pipeline in few passes over the burst instead of one per stage: (1) ARP/ND
// and the connection-table key, per packet; the burst's one bulk lookup (read only); (2) zones
// and isolation (zones taken from the packet's flow when the current policy judged it), then
// the flow decision, per packet; the classifier only when some packet needs it; (3) forwarding
// and accounting, per packet. Each stage sees a packet in the same order and state as when
// the stages ran one after the other: a stage's decision for one packet never depends on a
// later stage's work on another packet of the burst (the connection table changes only in the
// flow decisions and the classifier, which still run on the whole burst in order; the zone
// checks read nothing they change).
void Worker::judge(Burst& b, TxBuffer& tx) noexcept {
  bool firstFragment = false;
  flows_.begin();
  for (int i = 0; i < b.count; ++i) {
    if (!b.live(i) || local_.handle(b, i)) continue;
    flows_.addKey(b, i);
  }
  flows_.lookup();
  for (int i = 0; i < b.count; ++i) {
    if (!b.live(i)) continue;
    uint16_t srcZone = kNoZone, dstZone = kNoZone;
    const bool known = flows_.knownZones(b, i, &srcZone, &dstZone);
    zones_.judgeOne(b, i, known, srcZone, dstZone);
    if (!b.live(i)) continue;
    firstFragment |= b.meta[i].frag == FragKind::First;
    flows_.decide(b, i);
  }
  if (flows_.candidates() || firstFragment) classify_.process(b);
  forward_.begin();
  account_.begin(b);
  for (int i = 0; i < b.count; ++i) {
    if (b.live(i)) forward_.forwardOne(b, i);
    account_.one(b, i, tx);
  }
  account_.end();
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
