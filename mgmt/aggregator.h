// Aggregation of repeated violations (SPEC §4): the first event of a key is
// passed on at once; later ones are counted and one message per interval
// carries the count since the last message. Memory is bounded: a fixed maximum
// of keys, and when the table is full new keys fold into one overflow bucket
// per event type, reported with its count, never lost silently.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "mgmt/event.h"

namespace isogate::mgmt {

struct AggregatorConfig {
  std::chrono::milliseconds interval{10000};
  size_t maxKeys = 4096;
};

struct AggregatorStats {
  uint64_t offered = 0;      // events in (sum of their counts)
  uint64_t emitted = 0;      // sum of the counts of events out
  uint64_t overflowed = 0;   // counts folded into overflow buckets
  uint64_t keysEvicted = 0;  // idle keys dropped from the table
};

// Single-threaded: the daemon's main loop owns it. Time is passed in, so
// tests drive it with a fake clock.
class Aggregator {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit Aggregator(AggregatorConfig config = {});

  // Violations are aggregated; every other type is appended to `out` as is
  // (policy, fault, audit, flow-allowed: see docs/events.md for why).
  void offer(Event e, TimePoint now, std::vector<Event>& out);

  // Emits the counts of keys whose interval has passed and forgets keys that
  // stayed quiet for a whole interval (so their next event is sent at once).
  void flush(TimePoint now, std::vector<Event>& out);

  // Emits every pending count regardless of time (shutdown).
  void flushAll(std::vector<Event>& out);

  size_t keyCount() const { return keys_.size(); }
  size_t maxKeys() const { return config_.maxKeys; }
  const AggregatorStats& stats() const { return stats_; }

  // Whether an event type is aggregated at all.
  static bool aggregates(EventType t) { return isViolation(t); }

 private:
  // type, from_zone, to_zone, src, dst, dport
  using Key = std::tuple<uint8_t, std::string, std::string, std::string, std::string, std::string>;
  struct Entry {
    Event sample;  // the latest event of the key: what the count message looks like
    uint64_t pending = 0;
    TimePoint lastEmit;
  };
  struct Overflow {
    Event sample;
    uint64_t pending = 0;
    TimePoint since;
  };

  static Key keyOf(const Event& e);
  Event countMessage(const Entry& entry) const;
  Event overflowMessage(EventType type, const Overflow& o) const;

  AggregatorConfig config_;
  std::map<Key, Entry> keys_;  // ordered: flush output order is deterministic
  std::array<Overflow, 16> overflow_{};
  AggregatorStats stats_;
};

}  // namespace isogate::mgmt
