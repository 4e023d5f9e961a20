// FlowStore. The gateway sends the parts of one snapshot back to back on one unix
// datagram socket, which keeps their order; so anything but the next part of the
// snapshot being built means a part was dropped on the way.
#include "mgmt/flow_store.h"

namespace isogate::mgmt {

void FlowStore::abandon() {
  if (building_) ++abandoned_;
  building_.reset();
  nextPart_ = 0;
}

bool FlowStore::accept(FlowSnapshotPart part, std::chrono::system_clock::time_point now) {
  if (part.part == 0) {
    abandon();
    nextPart_ = 1;
    building_ = std::move(part);
  } else {
    const bool fits = building_ && part.snapshot == building_->snapshot &&
                      part.part == nextPart_ && part.parts == building_->parts &&
                      part.data.total == building_->data.total &&
                      part.data.backend == building_->data.backend;
    if (!fits) {
      // A stray later part of a snapshot whose first part was lost counts as abandoned too.
      if (!building_) ++abandoned_;
      abandon();
      return false;
    }
    auto& flows = building_->data.flows;
    for (auto& f : part.data.flows) {
      if (flows.size() >= kMaxSnapshotFlows) break;
      flows.push_back(std::move(f));
    }
    ++nextPart_;
  }
  if (nextPart_ < building_->parts) return false;
  latest_ = StoredFlows{std::move(building_->data), now};
  building_.reset();
  nextPart_ = 0;
  ++completed_;
  return true;
}

}  // namespace isogate::mgmt
