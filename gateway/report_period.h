// How often the gateway loop runs a periodic report (the counter dump for `isogatectl stats`,
// the connection-table dump for `isogatectl flows`): every base period (2 s), or longer when
// the last run took long, so that a report never holds the loop (NFLOG, signals, reloads) for
// more than a fixed share of its time, whatever the size of the policy or of the table.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

namespace isogate::gateway {

// A run may take at most 1/kReportCostFactor of its period (5 %): a dump of 100 ms keeps the
// 2 s period, one of 400 ms stretches it to 8 s. Two reports together stay under 10 % of a core.
inline constexpr int kReportCostFactor = 20;
// However slow a run, the next one comes within this (unless the base period is longer).
inline constexpr std::chrono::milliseconds kMaxReportPeriod{60000};

// The period after a run that took `lastRun` (wall time, which bounds both the loop's blocked
// share and the CPU share): factor x lastRun rounded up to a millisecond, clamped to
// [base, max(base, ceiling)]. A negative duration counts as zero.
inline std::chrono::milliseconds nextReportPeriod(
    std::chrono::milliseconds base, std::chrono::nanoseconds lastRun,
    int factor = kReportCostFactor, std::chrono::milliseconds ceiling = kMaxReportPeriod) {
  using std::chrono::milliseconds;
  if (lastRun.count() < 0) lastRun = std::chrono::nanoseconds::zero();
  if (factor < 1) factor = 1;
  const milliseconds top = std::max(base, ceiling);
  // Compare before multiplying: a duration of years must not overflow into a short period.
  if (lastRun >= top / factor) return top;
  const auto scaled = std::chrono::ceil<milliseconds>(lastRun * factor);
  return std::clamp(scaled, base, top);
}

// When a report is due, its period adapted after every run. Pure bookkeeping: the caller
// passes the clock readings, so tests drive it without waiting.
class ReportSchedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit ReportSchedule(std::chrono::milliseconds base,
                          std::chrono::milliseconds ceiling = kMaxReportPeriod)
      : base_(base), ceiling_(std::max(base, ceiling)), period_(base), announced_(base) {}

  // The first run is due at once; later ones a period after the previous run started.
  bool due(TimePoint now) const { return !ran_ || now - lastStart_ >= period_; }

  // A run from `start` to `end` (successful or not: a failed dump costs time too).
  void ran(TimePoint start, TimePoint end) {
    ran_ = true;
    lastStart_ = start;
    period_ = nextReportPeriod(base_, end - start, kReportCostFactor, ceiling_);
  }

  std::chrono::milliseconds period() const { return period_; }
  std::chrono::milliseconds base() const { return base_; }

  // The period to tell the operator about, once: when it has doubled or halved since the
  // last one told (or is back at the base), so a period that wobbles with the load is not
  // logged on every run.
  std::optional<std::chrono::milliseconds> takeNotableChange() {
    const bool back = period_ == base_ && announced_ != base_;
    if (!back && period_ < announced_ * 2 && period_ * 2 > announced_) return std::nullopt;
    if (period_ == announced_) return std::nullopt;
    announced_ = period_;
    return period_;
  }

 private:
  std::chrono::milliseconds base_, ceiling_, period_, announced_;
  TimePoint lastStart_{};
  bool ran_ = false;
};

}  // namespace isogate::gateway
