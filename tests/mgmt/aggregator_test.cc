// Aggregation (SPEC §4) with an injected clock: exact counts, bounded keys.
#include "mgmt/aggregator.h"

#include <gtest/gtest.h>

namespace isogate::mgmt {
namespace {

using namespace std::chrono;
using TP = Aggregator::TimePoint;

Event hit(const std::string& src, const std::string& dport = "445",
          EventType t = EventType::PhysicalIsolation) {
  Event e;
  e.type = t;
  e.fields = {{"from_zone", "intranet"}, {"to_zone", "extranet"}, {"src", src},
              {"dst", "10.20.1.9"},      {"proto", "tcp"},        {"dport", dport}};
  return e;
}

uint64_t sum(const std::vector<Event>& v) {
  uint64_t n = 0;
  for (const auto& e : v) n += e.count;
  return n;
}

TEST(Aggregator, TenThousandIdenticalAddUpExactly) {
  Aggregator agg({seconds(10), 64});
  TP t0{};
  std::vector<Event> out;
  for (int i = 0; i < 10000; ++i) {
    agg.offer(hit("10.10.1.5"), t0 + milliseconds(i * 3), out);  // spread over 30 s
    if (i == 0) {
      ASSERT_EQ(out.size(), 1u);  // the first at once
      EXPECT_EQ(out[0].count, 1u);
    }
    agg.flush(t0 + milliseconds(i * 3), out);
  }
  agg.flush(t0 + seconds(60), out);
  // 1 immediate, then one per 10 s interval: at 10 s, 20 s, and the rest at 60 s.
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].count, 1u);
  EXPECT_EQ(out[1].count,
            3334u);  // events 1..3334 (i*3 < 10002 -> i <= 3333 ... flushed at i=3334)
  EXPECT_EQ(sum(out), 10000u);
  for (const auto& e : out) EXPECT_EQ(*e.field("src"), "10.10.1.5");
  EXPECT_EQ(agg.stats().offered, 10000u);
  EXPECT_EQ(agg.stats().emitted, 10000u);
}

TEST(Aggregator, OneMessagePerIntervalCarriesCountSinceLast) {
  Aggregator agg({seconds(5), 16});
  TP t0{};
  std::vector<Event> out;
  agg.offer(hit("a"), t0, out);
  for (int i = 0; i < 4; ++i) agg.offer(hit("a"), t0 + seconds(1), out);
  agg.flush(t0 + seconds(4), out);
  EXPECT_EQ(out.size(), 1u);  // not yet
  agg.flush(t0 + seconds(5), out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].count, 4u);
  agg.offer(hit("a"), t0 + seconds(6), out);
  agg.flush(t0 + seconds(9), out);
  EXPECT_EQ(out.size(), 2u);
  agg.flush(t0 + seconds(10), out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].count, 1u);
  // Quiet for a whole interval: the key is forgotten, the next one goes out at once.
  agg.flush(t0 + seconds(15), out);
  EXPECT_EQ(agg.keyCount(), 0u);
  agg.offer(hit("a"), t0 + seconds(16), out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[3].count, 1u);
}

TEST(Aggregator, KeyIncludesDportButNotSport) {
  Aggregator agg({seconds(5), 16});
  std::vector<Event> out;
  Event a = hit("a", "445"), b = hit("a", "445"), c = hit("a", "139");
  b.set("sport", "1234");
  agg.offer(a, TP{}, out);
  agg.offer(b, TP{}, out);
  agg.offer(c, TP{}, out);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(agg.keyCount(), 2u);
}

TEST(Aggregator, HundredThousandDistinctKeysStayBoundedAndCounted) {
  constexpr size_t kCap = 1000;
  Aggregator agg({seconds(10), kCap});
  TP t0{};
  std::vector<Event> out;
  for (int i = 0; i < 100000; ++i) {
    agg.offer(hit("10.10." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                  std::to_string(i % 65536)),
              t0 + milliseconds(i / 100), out);
    ASSERT_LE(agg.keyCount(), kCap);
  }
  EXPECT_EQ(agg.keyCount(), kCap);
  EXPECT_EQ(out.size(), kCap);  // the first kCap keys went out at once
  EXPECT_EQ(agg.stats().overflowed, 100000u - kCap);
  agg.flush(t0 + seconds(1000), out);
  ASSERT_EQ(out.size(), kCap + 1);
  const Event& o = out.back();
  EXPECT_EQ(o.count, 100000u - kCap);
  EXPECT_EQ(*o.field("overflow"), "true");
  EXPECT_EQ(*o.field("src"), "*");
  EXPECT_EQ(o.type, EventType::PhysicalIsolation);
  EXPECT_EQ(sum(out), 100000u);
}

TEST(Aggregator, OverflowBucketsArePerType) {
  Aggregator agg({seconds(1), 1});
  std::vector<Event> out;
  agg.offer(hit("a"), TP{}, out);
  agg.offer(hit("b"), TP{}, out);
  agg.offer(hit("c", "1", EventType::LogicalIsolation), TP{}, out);
  agg.offer(hit("d", "1", EventType::LogicalIsolation), TP{}, out);
  agg.flushAll(out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].type, EventType::PhysicalIsolation);
  EXPECT_EQ(out[1].count, 1u);
  EXPECT_EQ(out[2].type, EventType::LogicalIsolation);
  EXPECT_EQ(out[2].count, 2u);
}

TEST(Aggregator, NonViolationsPassThrough) {
  Aggregator agg({seconds(10), 1});
  std::vector<Event> out;
  for (auto t : {EventType::FlowAllowed, EventType::PolicyLoaded, EventType::Fault,
                 EventType::Audit, EventType::FlowAllowed}) {
    Event e = hit("x", "1", t);
    agg.offer(e, TP{}, out);
  }
  EXPECT_EQ(out.size(), 5u);
  EXPECT_EQ(agg.keyCount(), 0u);
}

}  // namespace
}  // namespace isogate::mgmt
