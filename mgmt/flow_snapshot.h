// The gateway's connection table as it reports it to isogate-mgmtd: a bounded
// snapshot (at most kMaxSnapshotFlows flows, plus how many the table held) sent
// periodically in `flows` datagrams (flow_wire.h) and served by `isogatectl flows`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace isogate::mgmt {

// Flows per snapshot; the rest is only counted (`total`), so the operator sees truncation.
inline constexpr size_t kMaxSnapshotFlows = 1000;
// How often the gateway sends one, and when isogate-mgmtd calls the last one stale.
inline constexpr int kFlowSnapshotPeriodSeconds = 2;
inline constexpr int kFlowSnapshotStaleSeconds = 10;

struct FlowRecord {
  uint8_t family = 4;  // 4 | 6
  uint8_t proto = 6;   // IP protocol number
  std::string src, dst;              // the initiator and the responder, as text
  uint16_t sport = 0, dport = 0;     // TCP/UDP; 0 otherwise
  std::string fromZone, toZone;      // initiator's zone -> responder's zone
  std::string rule;                  // the rule that admitted it; empty when not known
  std::string state;                 // "established", "syn-sent", "replied", ... (backend's words)
  uint64_t timeoutS = 0;             // seconds until the entry ends unless more traffic comes
  std::optional<uint64_t> packets, bytes;  // both directions, when the backend counts them
};

struct FlowSnapshot {
  uint64_t timeMs = 0;  // when it was taken (Unix ms)
  std::string backend;  // "dpdk" | "nftables"
  uint64_t total = 0;   // flows the table held (>= flows.size())
  std::vector<FlowRecord> flows;
};

}  // namespace isogate::mgmt
