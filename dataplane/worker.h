// One worker lcore's pipeline: parse -> local (ARP/ND) -> zones & isolation ->
// connection tracking -> classifier -> forward -> accounting. The gateway's
// RX/TX loop calls processBurst() with what rte_eth_rx_burst returned and
// sends what lands in the TxBuffer. A worker is used by one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>

#include "dataplane/account_stage.h"
#include "dataplane/classify_stage.h"
#include "dataplane/fast_lane.h"
#include "dataplane/flow_export.h"
#include "dataplane/flow_stage.h"
#include "dataplane/forward_stage.h"
#include "dataplane/local_stage.h"
#include "dataplane/monitor_stage.h"
#include "dataplane/parse.h"
#include "dataplane/tx_buffer.h"
#include "dataplane/worker_context.h"
#include "dataplane/zone_stage.h"

struct rte_rcu_qsbr;

namespace isogate::dataplane {

class Worker {
 public:
  Worker(unsigned index, const Topology& topo, NeighbourTable& neighbours, uint32_t fragCapacity,
         const std::atomic<const PolicyTables*>& tables, rte_rcu_qsbr* rcu);
  ~Worker();  // frees the packets still held for an unresolved neighbour

  WorkerContext& context() { return ctx_; }
  const WorkerCounters& counters() const { return ctx_.counters; }

  // Judges up to any number of packets received on `port` (in chunks of 32; up to kLaneDepth
  // at a time lets the fast lane look ahead further)
  // at TSC `now`. Takes ownership of every mbuf: each is either queued in tx,
  // freed, or held until its next hop resolves (then queued in the tx of a later
  // call, or freed at its deadline). Never blocks, allocates, locks or throws.
  void processBurst(uint16_t port, rte_mbuf* const* pkts, uint16_t n, TxBuffer& tx,
                    uint64_t now) noexcept;

  // Whether bursts of known IPv4 flows may take the fast lane (default on).
  void setFastLane(bool on) noexcept { fastLaneOn_ = on; }
  // Bursts the fast lane forwarded whole, and packets it forwarded.
  uint64_t fastLaneBursts() const noexcept { return fast_.bursts(); }
  uint64_t fastLanePackets() const noexcept { return fast_.packets(); }

  // RCU participation. A worker thread calls enterLoop() before its RX loop and
  // leaveLoop() after; in between each burst reports a quiescent state. Outside
  // a loop (tests, simulators) each processBurst() goes online and offline itself.
  void enterLoop() noexcept;
  void leaveLoop() noexcept;

  // Removes up to `budget` expired flows and drops held packets past their
  // deadline; call from the worker's own thread between bursts.
  // Also serves a pending flow export (the control thread's copy of the table).
  uint32_t expireFlows(uint64_t now, uint32_t budget) noexcept;

  // The control thread's window on this worker's connection table (`isogatectl flows`).
  FlowExport& flowExport() noexcept { return export_; }

 private:
  // One chunk of at most kBurstSize; laneFirst: its first packet's place among those the fast
  // lane prepared, or kNoLane.
  static constexpr int kNoLane = -1;
  void runChunk(uint16_t port, rte_mbuf* const* pkts, uint16_t n, TxBuffer& tx, uint64_t now,
                const PolicyTables* tables, int laneFirst) noexcept;
  // The stages of a forwarding port with a policy, fused into few passes over the burst.
  void judge(Burst& b, TxBuffer& tx) noexcept;
  // Drops every packet of the burst that no stage has decided on yet.
  static void dropAll(Burst& b, DropReason reason) noexcept;

  WorkerContext ctx_;
  const std::atomic<const PolicyTables*>& tables_;
  rte_rcu_qsbr* rcu_;
  bool inLoop_ = false;
  Burst burst_;
  ParseStage parse_;
  LocalStage local_;
  ZoneStage zones_;
  FlowStage flows_;
  ClassifyStage classify_;
  ForwardStage forward_;
  MonitorStage monitor_;
  AccountStage account_;
  FastLane fast_;
  bool fastLaneOn_ = true;
  FlowExport export_;
};

}  // namespace isogate::dataplane
