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
  void one(Burst& b, int i, TxBuffer& tx) noexcept;
  void end() noexcept;

 private:
  void flushRun() noexcept;
  WorkerContext& ctx_;
  PolicyTables* tables_ = nullptr;
  ViolationRecord records_[kBurstSize];  // at most one per packet
  uint32_t nrec_ = 0;
  uint64_t forwarded_ = 0, tx_ = 0;
  // A run of consecutive packets that count to the same zone-pair and rule counters.
  uint64_t runPackets_ = 0, runBytes_ = 0;
  uint32_t runRule_ = 0;
  uint16_t runFrom_ = 0, runTo_ = 0;
  bool runForwarded_ = false;
};

}  // namespace isogate::dataplane
