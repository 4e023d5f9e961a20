#include "gateway/report_period.h"

#include <gtest/gtest.h>

namespace isogate::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(ReportPeriod, CheapRunsKeepTheBasePeriod) {
  EXPECT_EQ(nextReportPeriod(seconds(2), nanoseconds(0)), milliseconds(2000));
  EXPECT_EQ(nextReportPeriod(seconds(2), milliseconds(5)), milliseconds(2000));
  // Exactly 5 % of the base period: still the base.
  EXPECT_EQ(nextReportPeriod(seconds(2), milliseconds(100)), milliseconds(2000));
}

TEST(ReportPeriod, ExpensiveRunsStretchItToTwentyTimesTheirDuration) {
  EXPECT_EQ(nextReportPeriod(seconds(2), milliseconds(101)), milliseconds(2020));
  EXPECT_EQ(nextReportPeriod(seconds(2), milliseconds(400)), milliseconds(8000));
  // Rounded up to the millisecond, never down: 100.01 ms x 20 = 2000.2 ms -> 2001 ms.
  EXPECT_EQ(nextReportPeriod(seconds(2), nanoseconds(100'010'000)), milliseconds(2001));
  EXPECT_EQ(nextReportPeriod(seconds(2), milliseconds(400), 10), milliseconds(4000));
}

TEST(ReportPeriod, CappedAtTheCeilingEvenForAbsurdDurations) {
  EXPECT_EQ(nextReportPeriod(seconds(2), seconds(2)), milliseconds(40000));
  EXPECT_EQ(nextReportPeriod(seconds(2), seconds(3)), kMaxReportPeriod);
  EXPECT_EQ(nextReportPeriod(seconds(2), seconds(30)), kMaxReportPeriod);
  EXPECT_EQ(nextReportPeriod(seconds(2), milliseconds(300), kReportCostFactor, seconds(5)),
            milliseconds(5000));
  // Years of "duration" (a clock jump) must not overflow into a short period.
  EXPECT_EQ(nextReportPeriod(seconds(2), nanoseconds::max()), kMaxReportPeriod);
  EXPECT_EQ(nextReportPeriod(seconds(2), nanoseconds::max() / 21), kMaxReportPeriod);
}

TEST(ReportPeriod, OddInputsStayWithinBaseAndCeiling) {
  EXPECT_EQ(nextReportPeriod(seconds(2), nanoseconds(-5)), milliseconds(2000));
  // A ceiling below the base: the base wins (reports never come more often than configured).
  EXPECT_EQ(nextReportPeriod(seconds(10), seconds(1), kReportCostFactor, seconds(5)),
            milliseconds(10000));
  EXPECT_EQ(nextReportPeriod(seconds(2), milliseconds(200), 0),
            milliseconds(2000));  // factor < 1 taken as 1
}

TEST(ReportSchedule, FirstRunAtOnceThenEveryAdaptedPeriod) {
  ReportSchedule s(seconds(2));
  const ReportSchedule::TimePoint t0{seconds(1000)};
  EXPECT_TRUE(s.due(t0));
  s.ran(t0, t0 + milliseconds(10));
  EXPECT_EQ(s.period(), milliseconds(2000));
  EXPECT_FALSE(s.due(t0 + milliseconds(1999)));
  EXPECT_TRUE(s.due(t0 + milliseconds(2000)));
  // A run of 300 ms: the next one 6 s after it started.
  const auto t1 = t0 + milliseconds(2000);
  s.ran(t1, t1 + milliseconds(300));
  EXPECT_EQ(s.period(), milliseconds(6000));
  EXPECT_FALSE(s.due(t1 + milliseconds(5999)));
  EXPECT_TRUE(s.due(t1 + milliseconds(6000)));
  // Cheap again: back to the base period.
  const auto t2 = t1 + milliseconds(6000);
  s.ran(t2, t2 + milliseconds(1));
  EXPECT_EQ(s.period(), milliseconds(2000));
  EXPECT_TRUE(s.due(t2 + milliseconds(2000)));
}

TEST(ReportSchedule, CeilingOfTheSchedule) {
  ReportSchedule s(seconds(2), seconds(8));
  const ReportSchedule::TimePoint t0{seconds(5)};
  s.ran(t0, t0 + seconds(3));
  EXPECT_EQ(s.period(), milliseconds(8000));
}

TEST(ReportSchedule, NotableChangesAreToldOnceEach) {
  ReportSchedule s(seconds(2));
  ReportSchedule::TimePoint t{seconds(1)};
  auto run = [&](milliseconds took) {
    s.ran(t, t + took);
    t += s.period();
    return s.takeNotableChange();
  };
  EXPECT_EQ(run(milliseconds(5)), std::nullopt);    // the base, as at start
  EXPECT_EQ(run(milliseconds(150)), std::nullopt);  // 3 s: less than double
  EXPECT_EQ(run(milliseconds(200)), milliseconds(4000));
  EXPECT_EQ(run(milliseconds(200)), std::nullopt);  // unchanged
  EXPECT_EQ(run(milliseconds(300)), std::nullopt);  // 6 s: less than double 4 s
  EXPECT_EQ(run(milliseconds(400)), milliseconds(8000));
  EXPECT_EQ(run(milliseconds(250)), std::nullopt);        // 5 s: more than half of 8 s
  EXPECT_EQ(run(milliseconds(110)), milliseconds(2200));  // 2.2 s: at most half of 8 s
  EXPECT_EQ(run(milliseconds(1)), milliseconds(2000));    // back at the base: always told
  EXPECT_EQ(run(milliseconds(1)), std::nullopt);
}

}  // namespace
}  // namespace isogate::gateway
