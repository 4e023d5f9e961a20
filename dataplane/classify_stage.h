// The policy decision for first packets (and for flows re-checked after a
// reload): groups the burst's candidates by directed zone pair and family,
// runs one rte_acl classify per group, applies first-match / default-deny /
// intra-zone semantics, then commits: creates connection-table entries (a full
// table denies), cuts flows the new policy no longer allows, remembers allowed
// first fragments, and marks `log: true` flows for a flow-allowed record.
#pragma once

#include "dataplane/flow_stage.h"
#include "dataplane/worker_context.h"

namespace isogate::dataplane {

class ClassifyStage {
 public:
  ClassifyStage(WorkerContext& ctx, FlowStage& flows) : ctx_(ctx), flowStage_(flows) {}
  void process(Burst& b) noexcept;

 private:
  void decide(Burst& b, int i, uint32_t rule, bool& inserted) noexcept;
  void commitNew(Burst& b, int i, bool& inserted) noexcept;
  WorkerContext& ctx_;
  FlowStage& flowStage_;
};

}  // namespace isogate::dataplane
