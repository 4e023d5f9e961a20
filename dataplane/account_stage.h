// The end of the pipeline: counts every packet (per drop reason, per rule, per
// zone pair), writes violation and flow-allowed records into the worker's
// event ring without waiting (what does not fit is counted as lost), hands
// transmitted packets to the caller's TxBuffer and frees the rest.
#pragma once

#include "dataplane/tx_buffer.h"
#include "dataplane/violation_record.h"
#include "dataplane/worker_context.h"

namespace isogate::dataplane {

// The event type a drop reason is reported as, or -1 when it is not a violation.
int eventTypeFor(DropReason r) noexcept;

class AccountStage {
 public:
  explicit AccountStage(WorkerContext& ctx) : ctx_(ctx) {}
  void process(Burst& b, TxBuffer& tx) noexcept;
  // begin(), one() for every packet of the burst in order, end(): the worker fuses one()
  // with forwarding. Counters are summed over the burst and written once in end(), so they
  // are complete when processBurst() returns.
  void begin(const Burst& b) noexcept;
  void one(Burst& b, int i, TxBuffer& tx) noexcept;  // inline, below
  void end() noexcept;
  // one() for a packet the fast lane forwards: allowed by rule `rule` from zone `from` to `to`,
  // to be sent on `port` (no record: a packet of a known flow).
  // (The forwarded and transmitted totals are left to forwarded(), once per burst.)
  void forwardedOne(rte_mbuf* m, uint16_t from, uint16_t to, uint32_t rule, uint16_t port,
                    TxBuffer& tx) noexcept {
    countRun(from, to, true, rule, m->pkt_len);
    // Not transmitted: forwarded() will add it back to the transmitted total.
    if (!queue(m, port, tx)) [[unlikely]] {
      --tx_;
    }
  }
  // The totals of the n packets just given to forwardedOne().
  void forwarded(uint32_t n) noexcept {
    forwarded_ += n;
    tx_ += n;
  }

 private:
  // Adds a packet to the run of its zone-pair and rule counters.
  // (Two compares per packet: zones and rule in one word, and the verdict.)
  void countRun(uint16_t from, uint16_t to, bool forwarded, uint32_t rule, uint32_t len) noexcept {
    const uint64_t key = uint64_t{rule} << 32 | uint32_t{to} << 16 | from;
    if (key != runKey_ || uint8_t{forwarded} != runVerdict_) {
      flushRun();
      runKey_ = key;
      runVerdict_ = forwarded;
    }
    ++runPackets_;
    runBytes_ += len;
  }
  // Queues m for `port` and counts it.
  void transmit(rte_mbuf* m, uint16_t port, TxBuffer& tx) noexcept {
    if (queue(m, port, tx)) [[likely]] {
      ++tx_;
    }
  }
  // Queues m for `port`; or, when the queue is full, frees it as tx-full and returns false.
  bool queue(rte_mbuf* m, uint16_t port, TxBuffer& tx) noexcept {
    TxBuffer::Queue& q = tx.port[port];
    if (q.count < TxBuffer::kDepth) [[likely]] {
      q.pkts[q.count++] = m;
      return true;
    }
    bump(ctx_.counters.drops[static_cast<int>(DropReason::TxFull)]);
    rte_pktmbuf_free(m);
    return false;
  }
  void recordAllowed(const Burst& b, int i) noexcept;  // a flow-allowed record
  void countDrop(const Burst& b, int i) noexcept;      // drop counter and violation record
  void flushRun() noexcept;
  WorkerContext& ctx_;
  PolicyTables* tables_ = nullptr;
  ViolationRecord records_[kBurstSize];  // at most one per packet
  uint32_t nrec_ = 0;
  uint64_t forwarded_ = 0, tx_ = 0;
  // A run of consecutive packets that count to the same zone-pair and rule counters: the rule
  // (high half of the key), the zones to and from (low half), and whether they were forwarded
  // (1) or dropped (0); kNoRun before the burst's first packet.
  static constexpr uint8_t kNoRun = 2;
  // Not side by side: GCC made the two adds one vector add (five instructions, not two).
  uint64_t runPackets_ = 0;
  uint64_t runKey_ = 0;
  uint64_t runBytes_ = 0;
  uint8_t runVerdict_ = kNoRun;
};

inline void AccountStage::one(Burst& b, int i, TxBuffer& tx) noexcept {
  PacketMeta& md = b.meta[i];
  // A new logged flow whose first packet waits for its next hop is reported now: that packet
  // (held, or replaced in this slot by the ARP/ND request) was allowed.
  if (md.logFlow && md.reason == DropReason::None &&
      (md.action == Action::Held || md.path == Path::Local)) [[unlikely]] {
    recordAllowed(b, i);
  }
  if (md.action == Action::Held) return;  // the hold queue owns it and counts it later
  rte_mbuf* m = b.pkts[i];
  const uint32_t len = m->pkt_len;
  if (md.reason != DropReason::None) {
    countDrop(b, i);
  } else if (md.action == Action::Transmit && md.path != Path::Local) {
    ++forwarded_;
    if (md.logFlow) [[unlikely]]
      recordAllowed(b, i);
  }
  if (tables_ && md.srcZone != kNoZone && md.dstZone != kNoZone && md.path != Path::Local) {
    countRun(md.srcZone, md.dstZone, md.reason == DropReason::None, md.rule, len);
  }
  if (md.action == Action::Transmit) {
    transmit(m, md.outPort, tx);
    return;
  }
  rte_pktmbuf_free(m);
}

}  // namespace isogate::dataplane
