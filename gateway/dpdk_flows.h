// The DPDK backend's part of `isogatectl flows`: asks every worker for a copy of its
// connection table (dataplane/flow_export.h) and, once all have answered, turns the
// copies into one bounded mgmt::FlowSnapshot with zone and rule names. Control thread only.
#pragma once

#include <cstddef>

#include "dataplane/dataplane.h"
#include "mgmt/flow_snapshot.h"

namespace isogate::gateway {

// Asks every worker for a fresh copy; they serve it between bursts (within ~10 ms).
void requestFlows(dataplane::Dataplane& dp);
// false while a worker has not answered; else the snapshot (at most `max` flows, the total
// of all workers). Never waits.
bool collectFlows(dataplane::Dataplane& dp, size_t max, mgmt::FlowSnapshot& out);

// One exported entry as a flow record, named by `policy` (the one that judged it).
mgmt::FlowRecord flowRecordOf(const dataplane::ExportedFlow& f, const policy::CompiledPolicy& policy,
                              uint64_t nowTsc, uint64_t hz);

}  // namespace isogate::gateway
