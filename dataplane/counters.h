// Counters written by one worker lcore and read by the control thread. Each is
// a relaxed atomic bumped with a plain load+store (one writer, so no locked
// instruction on the hot path); readers sum across workers.
#pragma once

#include <atomic>
#include <cstdint>

#include "dataplane/drop_reason.h"

namespace isogate::dataplane {

inline void bump(std::atomic<uint64_t>& c, uint64_t by = 1) noexcept {
  c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

struct PacketBytes {
  std::atomic<uint64_t> packets{0}, bytes{0};
  void add(uint64_t len) noexcept {
    bump(packets);
    bump(bytes, len);
  }
};

// Per zone pair (directed, row = source zone).
struct PairCounters {
  PacketBytes forwarded, dropped;
};

// Per worker, independent of the policy.
struct alignas(64) WorkerCounters {
  std::atomic<uint64_t> rx{0}, tx{0}, forwarded{0}, answered{0};
  std::atomic<uint64_t> drops[kDropReasonCount]{};
  std::atomic<uint64_t> eventsLost{0};  // violation records that did not fit the ring
  std::atomic<uint64_t> flowsCreated{0}, flowsExpired{0};
};

// Plain snapshot (sums) handed to the control plane.
struct CounterTotals {
  uint64_t rx = 0, tx = 0, forwarded = 0, answered = 0;
  uint64_t drops[kDropReasonCount] = {};
  uint64_t eventsLost = 0, flowsCreated = 0, flowsExpired = 0, flowsActive = 0;
};

struct PacketBytesTotal {
  uint64_t packets = 0, bytes = 0;
};
struct PairTotals {
  PacketBytesTotal forwarded, dropped;
};

}  // namespace isogate::dataplane
