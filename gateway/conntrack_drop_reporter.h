// The kernel backend's watch on the kernel's own conntrack table: when it is full
// (nf_conntrack_max) the kernel drops new packets before the ruleset sees them, so no
// violation event tells. Reads /proc/net/stat/nf_conntrack of the gateway's namespace at most
// once a second and reports the growth of `drop` as a `fault` (component `conntrack`).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "gateway/conntrack_stat.h"
#include "gateway/event_output.h"
#include "gateway/report_period.h"

namespace isogate::gateway {

class ConntrackDropReporter {
 public:
  explicit ConntrackDropReporter(std::string path = "/proc/net/stat/nf_conntrack") : path_(std::move(path)) {}

  // Call from the control loop at least once a second. The first successful read only sets
  // the baseline. A file that cannot be read or parsed is no report and one line on stderr
  // (again only when the error changes); a missing file is silent: without the nf_conntrack
  // module there is no table to be full.
  void tick(EventOutput& events) { tick(events, std::chrono::steady_clock::now()); }
  // The same with the caller's clock (tests).
  void tick(EventOutput& events, std::chrono::steady_clock::time_point now);

 private:
  bool read(ConntrackDrops& drops, std::string& error) const;

  std::string path_;
  // Once a second: reading the file costs microseconds, so the period never stretches.
  ReportSchedule schedule_{std::chrono::seconds(1)};
  std::optional<ConntrackDrops> baseline_;
  std::string lastError_;
};

}  // namespace isogate::gateway
