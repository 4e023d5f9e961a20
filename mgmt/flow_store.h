// isogate-mgmtd's copy of the gateway's latest flow snapshot, put together from its
// `flows` datagram parts. A snapshot is only served once every part arrived; a lost
// part abandons it and the previous complete one stays until the next period's.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "mgmt/flow_wire.h"

namespace isogate::mgmt {

struct StoredFlows {
  FlowSnapshot snapshot;
  std::chrono::system_clock::time_point receivedAt;
};

class FlowStore {
 public:
  // One decoded part, received at `now`. True when it completed a snapshot.
  bool accept(FlowSnapshotPart part, std::chrono::system_clock::time_point now);

  const std::optional<StoredFlows>& latest() const { return latest_; }
  uint64_t completed() const { return completed_; }
  uint64_t abandoned() const { return abandoned_; }  // snapshots with a part missing

 private:
  void abandon();

  std::optional<FlowSnapshotPart> building_;
  uint32_t nextPart_ = 0;
  std::optional<StoredFlows> latest_;
  uint64_t completed_ = 0, abandoned_ = 0;
};

}  // namespace isogate::mgmt
