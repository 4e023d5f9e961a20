// The `flows` datagrams of the event intake (docs/event-intake.md): one FlowSnapshot
// split into parts that each fit a datagram, all carrying the snapshot's id, their
// index and the number of parts. Decoding is strict like the rest of event_wire.h.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mgmt/flow_snapshot.h"

namespace isogate::mgmt {

inline constexpr size_t kMaxFlowParts = 64;
// Bytes of flow objects per datagram; leaves room for the envelope under kMaxWireDatagram.
inline constexpr size_t kFlowPartBudget = 60000;

struct FlowSnapshotPart {
  uint64_t snapshot = 0;  // id: parts of one snapshot share it
  uint32_t part = 0, parts = 1;
  FlowSnapshot data;  // timeMs, backend, total as the whole snapshot's; flows of this part
};

// Always at least one datagram (an empty table is a valid snapshot).
std::vector<std::string> toWireParts(const FlowSnapshot& s, uint64_t snapshotId);

// `j` is an object whose "v" and "kind" were checked by fromWire().
bool decodeFlowsPart(const nlohmann::json& j, FlowSnapshotPart& out, std::string& error);

}  // namespace isogate::mgmt
