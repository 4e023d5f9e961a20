#include "gateway/stats_reporter.h"

#include <cstdio>

namespace isogate::gateway {

void StatsReporter::tick(Backend& backend, EventOutput& events) {
  const auto start = std::chrono::steady_clock::now();
  if (!schedule_.due(start)) return;
  report(backend, events);
  const auto end = std::chrono::steady_clock::now();
  schedule_.ran(start, end);
  if (const auto p = schedule_.takeNotableChange()) {
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(end - start);
    std::fprintf(stderr, "isogate-gw: counter reports every %.1f s (the last one took %lld ms)\n",
                 static_cast<double>(p->count()) / 1000, static_cast<long long>(took.count()));
  }
}

void StatsReporter::report(Backend& backend, EventOutput& events) {
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
  stats.periodMs = static_cast<uint64_t>(schedule_.period().count());
  if (events.sendStats(stats)) ++sent_;
}

}  // namespace isogate::gateway
