#include "gateway/stats_reporter.h"

namespace isogate::gateway {

void StatsReporter::tick(Backend& backend, EventOutput& events) {
  const auto now = std::chrono::steady_clock::now();
  if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < period_) return;
  last_ = now;
  mgmt::GatewayStats stats;
  std::string error;
  if (!backend.stats(stats, error)) {
    // "No policy yet" is the normal state before the first load, not a fault; a backend
    // whose counters stay unreadable for 5 periods is.
    if (++failures_ == 5 && error != "no policy is running" && !faultReported_) {
      mgmt::Event f;
      f.type = mgmt::EventType::Fault;
      f.set("component", "stats");
      f.message = "gateway counters unreadable: " + error;
      events.emit(f);
      faultReported_ = true;
    }
    return;
  }
  failures_ = 0;
  faultReported_ = false;
  if (events.sendStats(stats)) ++sent_;
}

}  // namespace isogate::gateway
