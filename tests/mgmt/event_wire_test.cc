// Wire format between gateway and mgmtd: round trip, and malformed datagrams
// refused with a reason (never a crash).
#include "mgmt/event_wire.h"

#include <gtest/gtest.h>

namespace isogate::mgmt {
namespace {

using namespace std::chrono;

TEST(EventWire, EventRoundTrip) {
  Event e;
  e.type = EventType::SpoofedSource;
  e.time = system_clock::time_point(milliseconds(1795687200123));
  e.count = 5;
  e.fields = {{"from_zone", "portal"}, {"src", "10.10.1.5"}, {"rule", ""}, {"note", "ü \"q\""}};
  e.message = "spoofed";
  WireMessage m;
  std::string err;
  ASSERT_TRUE(fromWire(toWire(e), m, err)) << err;
  ASSERT_EQ(m.kind, WireMessage::Kind::Event);
  EXPECT_EQ(m.event.type, e.type);
  EXPECT_EQ(m.event.time, e.time);
  EXPECT_EQ(m.event.count, 5u);
  EXPECT_EQ(m.event.fields, e.fields);
  EXPECT_EQ(m.event.message, "spoofed");
}

// Found by the event fuzzer: a time beyond what system_clock holds overflowed its conversion.
TEST(EventWire, TimeBeyondTheClockIsRefused) {
  const std::string d =
      R"({"v":1,"kind":"event","type":"logical-isolation","time_ms":17956000000001,"count":3,)"
      R"("fields":[["from_zone","extranet"]],"message":"x"})";
  WireMessage m;
  std::string err;
  EXPECT_FALSE(fromWire(d, m, err));
  EXPECT_EQ(err, "key 'time_ms': out of range");
}

TEST(EventWire, StatsRoundTrip) {
  GatewayStats s;
  s.timeMs = 42;
  s.backend = "nftables";
  s.pairs = {{"internet", "portal", "citizens-browse-portal", "allow", 10, 1500},
             {"extranet", "portal", "", "deny", 2, 120}};
  s.drops = {{"no_route", 3}};
  s.eventsDropped = 9;
  WireMessage m;
  std::string err;
  ASSERT_TRUE(fromWire(toWire(s), m, err)) << err;
  ASSERT_EQ(m.kind, WireMessage::Kind::Stats);
  EXPECT_EQ(m.stats.pairs.size(), 2u);
  EXPECT_EQ(m.stats.pairs[0].rule, "citizens-browse-portal");
  EXPECT_EQ(m.stats.pairs[1].verdict, "deny");
  EXPECT_EQ(m.stats.pairs[1].bytes, 120u);
  EXPECT_EQ(m.stats.drops, s.drops);
  EXPECT_EQ(m.stats.eventsDropped, 9u);
  EXPECT_EQ(m.stats.backend, "nftables");
}

struct Bad {
  const char* datagram;
  const char* error;
};

TEST(EventWire, MalformedRefusedWithReason) {
  const Bad cases[] = {
      {"",
       "invalid JSON: parse error at line 1, column 1: syntax error while parsing value - "
       "unexpected end of input; expected '[', '{', or a literal"},
      {"[1]", "expected a JSON object"},
      {R"({"kind":"event"})", "missing key 'v'"},
      {R"({"v":2,"kind":"event"})", "key 'v': unsupported version 2"},
      {R"({"v":1,"kind":"x"})", "key 'kind': expected \"event\", \"stats\" or \"flows\""},
      {R"({"v":1,"kind":"event","type":"nope","time_ms":1})",
       "key 'type': unknown event type 'nope'"},
      {R"({"v":1,"kind":"event","type":"fault"})", "missing key 'time_ms'"},
      {R"({"v":1,"kind":"event","type":"fault","time_ms":-1})",
       "key 'time_ms': expected a non-negative integer"},
      {R"({"v":1,"kind":"event","type":"fault","time_ms":1,"count":0})",
       "key 'count': must be positive"},
      {R"({"v":1,"kind":"event","type":"fault","time_ms":1,"extra":1})", "unknown key 'extra'"},
      {R"({"v":1,"kind":"event","type":"fault","time_ms":1,"fields":[["Bad","x"]]})",
       "fields[0]: invalid field name 'Bad'"},
      {R"({"v":1,"kind":"event","type":"fault","time_ms":1,"fields":[["count","x"]]})",
       "fields[0]: invalid field name 'count'"},
      {R"({"v":1,"kind":"event","type":"fault","time_ms":1,"fields":[["a","x"],["a","y"]]})",
       "fields[1]: duplicate field 'a'"},
      {R"({"v":1,"kind":"event","type":"fault","time_ms":1,"fields":[["a","x\ny"]]})",
       "fields[0]: value of 'a' too long or has control characters"},
      {R"({"v":1,"kind":"event","type":"fault","time_ms":1,"fields":[["a"]]})",
       "fields[0]: expected [name, value] strings"},
      {R"({"v":1,"v":1,"kind":"event"})", "duplicate key 'v'"},
      {R"({"v":1,"kind":"stats","time_ms":1,"pairs":[{"from_zone":"a","to_zone":"b","packets":1}]})",
       "pairs[0]: missing key 'bytes'"},
      {R"({"v":1,"kind":"stats","time_ms":1,"drops":{"x":-1}})",
       "drops: 'x' must be a reason name with a count"},
  };
  for (const auto& c : cases) {
    WireMessage m;
    std::string err;
    EXPECT_FALSE(fromWire(c.datagram, m, err)) << c.datagram;
    EXPECT_EQ(err, c.error) << c.datagram;
  }
}

TEST(EventWire, InvalidUtf8AndHugeAndDeepAreRefused) {
  WireMessage m;
  std::string err;
  std::string bad = std::string(R"({"v":1,"kind":"event","type":"fault","time_ms":1,"message":")") +
                    "\xff\xfe" + "\"}";
  EXPECT_FALSE(fromWire(bad, m, err));
  EXPECT_EQ(err.rfind("invalid JSON", 0), 0u) << err;
  EXPECT_FALSE(fromWire(std::string(kMaxWireDatagram + 1, ' '), m, err));
  EXPECT_EQ(err, "datagram larger than 65536 bytes");
  EXPECT_FALSE(fromWire(std::string(100, '[') + std::string(100, ']'), m, err));
  EXPECT_EQ(err, "nesting deeper than 8");
}

}  // namespace
}  // namespace isogate::mgmt
