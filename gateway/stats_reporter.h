// Sends the running backend's counters to isogate-mgmtd once per period, from a control loop
// (never from a data path): the source of `isogatectl stats` and the metrics endpoint's
// packets and bytes per zone pair and rule.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "gateway/backend.h"
#include "gateway/event_output.h"

namespace isogate::gateway {

class StatsReporter {
 public:
  explicit StatsReporter(std::chrono::milliseconds period = std::chrono::seconds(2)) : period_(period) {}

  // Call at least once a period. A failed read is not an event (the next period retries);
  // a read failure that persists is reported once as a `fault`, and its end once too.
  void tick(Backend& backend, EventOutput& events);

  uint64_t sent() const { return sent_; }

 private:
  std::chrono::milliseconds period_;
  std::chrono::steady_clock::time_point last_{};
  uint64_t sent_ = 0;
  int failures_ = 0;
  bool faultReported_ = false;
};

}  // namespace isogate::gateway
