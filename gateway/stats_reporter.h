// Sends the running backend's counters to isogate-mgmtd once per period, from a control loop
// (never from a data path): the source of `isogatectl stats` and the metrics endpoint's
// packets and bytes per zone pair and rule.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "gateway/backend.h"
#include "gateway/event_output.h"
#include "gateway/report_period.h"

namespace isogate::gateway {

class StatsReporter {
 public:
  explicit StatsReporter(std::chrono::milliseconds period = std::chrono::seconds(2))
      : schedule_(period) {}

  // Call at least once a period. A failed read is not an event (the next period retries);
  // a read failure that persists is reported once as a `fault`, and its end once too.
  // When reading and reporting took long (a policy of 100k rules has 100k+ counters), the
  // period stretches so that it holds the loop at most 1/kReportCostFactor of the time
  // (gateway/report_period.h); notable changes of the period are logged on stderr.
  void tick(Backend& backend, EventOutput& events);

  uint64_t sent() const { return sent_; }
  std::chrono::milliseconds period() const { return schedule_.period(); }

 private:
  void report(Backend& backend, EventOutput& events);

  ReportSchedule schedule_;
  uint64_t sent_ = 0;
  int failures_ = 0;
  bool faultReported_ = false;
};

}  // namespace isogate::gateway
