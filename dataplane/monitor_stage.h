// Inspection of a monitor (tap / mirror) port: nothing received there is ever
// forwarded or answered. A packet whose source or destination address belongs
// to a zone physically isolated from the port's zone proves a link that must
// not exist and is reported as isolation-breach; the rest is counted.
#pragma once

#include "dataplane/worker_context.h"

namespace isogate::dataplane {

class MonitorStage {
 public:
  explicit MonitorStage(WorkerContext& ctx) : ctx_(ctx) {}
  void process(Burst& b) noexcept;

 private:
  WorkerContext& ctx_;
};

}  // namespace isogate::dataplane
