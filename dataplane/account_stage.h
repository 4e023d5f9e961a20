// The end of the pipeline: counts every packet (per drop reason, per rule, per
// zone pair), writes violation and flow-allowed records into the worker's
// event ring without waiting (what does not fit is counted as lost), hands
// transmitted packets to the caller's TxBuffer and frees the rest.
#pragma once

#include "dataplane/tx_buffer.h"
#include "dataplane/worker_context.h"

namespace isogate::dataplane {

// The event type a drop reason is reported as, or -1 when it is not a violation.
int eventTypeFor(DropReason r) noexcept;

class AccountStage {
 public:
  explicit AccountStage(WorkerContext& ctx) : ctx_(ctx) {}
  void process(Burst& b, TxBuffer& tx) noexcept;

 private:
  WorkerContext& ctx_;
};

}  // namespace isogate::dataplane
