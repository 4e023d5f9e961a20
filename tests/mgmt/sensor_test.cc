// Sensors without a NIC: frames through the injected inspector, and the real
// SegmentAuditor-based inspector on a compiled policy with built frames.
#include "mgmt/sensor.h"

#include <gtest/gtest.h>

#include "mgmt/segment_inspector.h"
#include "policy/pipeline.h"

namespace isogate::mgmt {
namespace {

TEST(Sensor, FindingsBecomeIsolationBreachEvents) {
  std::vector<Event> got;
  Sensor s(
      "tap0",
      [](int, const uint8_t* d, size_t len) -> std::optional<Event> {
        if (len == 0 || d[0] != 0xbb) return std::nullopt;
        Event e;
        e.type = EventType::Fault;  // the sensor forces the type
        e.set("src", "10.20.1.9");
        return e;
      },
      [&](Event e) { got.push_back(std::move(e)); });
  const uint8_t clean[] = {0xaa}, bad[] = {0xbb};
  s.handleFrame(1, clean, 1);
  s.handleFrame(1, bad, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, EventType::IsolationBreach);
  EXPECT_EQ(*got[0].field("interface"), "tap0");
  EXPECT_EQ(s.stats().frames, 2u);
  EXPECT_EQ(s.stats().breaches, 1u);
}

TEST(Sensor, ThrowingInspectorIsCountedNotFatal) {
  Sensor s(
      "tap0", [](int, const uint8_t*, size_t) -> std::optional<Event> { throw 1; }, [](Event) {});
  const uint8_t f[] = {1};
  s.handleFrame(1, f, 1);
  EXPECT_EQ(s.stats().errors, 1u);
}

TEST(Sensor, MissingInterfaceIsAClearError) {
  Sensor s(
      "isogate-no-such-if0", [](int, const uint8_t*, size_t) { return std::optional<Event>(); },
      [](Event) {});
  std::string err;
  EXPECT_FALSE(s.start(err));
  EXPECT_EQ(err.rfind("sensor isogate-no-such-if0: ", 0), 0u) << err;
}

// Ethernet + IPv4 + TCP header, addresses given.
std::vector<uint8_t> frame(std::array<uint8_t, 4> src, std::array<uint8_t, 4> dst) {
  std::vector<uint8_t> f(14 + 20 + 20, 0);
  f[12] = 0x08;
  f[13] = 0x00;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  ip[3] = 40;
  ip[8] = 64;
  ip[9] = 6;
  std::copy(src.begin(), src.end(), ip + 12);
  std::copy(dst.begin(), dst.end(), ip + 16);
  uint8_t* tcp = ip + 20;
  tcp[0] = 0x9c;
  tcp[1] = 0x40;  // 40000
  tcp[2] = 0x01;
  tcp[3] = 0xbd;  // 445
  tcp[12] = 0x50;
  // IPv4 header checksum
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t c = static_cast<uint16_t>(~sum);
  ip[10] = static_cast<uint8_t>(c >> 8);
  ip[11] = static_cast<uint8_t>(c & 0xff);
  return f;
}

TEST(SegmentInspector, ExtranetAddressOnTheIntranetSegmentIsABreach) {
  auto build = policy::buildPolicyFile(std::string(ISOGATE_SOURCE_DIR) +
                                       "/configs/tianjin-egov-boundary.yaml");
  ASSERT_TRUE(build.ok());
  SegmentInspector insp("intra-tap", "intranet");
  std::string err;
  ASSERT_TRUE(insp.setPolicy(*build.compiled, err)) << err;
  auto clean = frame({10, 10, 1, 5}, {10, 10, 1, 6});
  EXPECT_FALSE(insp.inspect(1, clean.data(), clean.size()));
  auto bad = frame({10, 20, 1, 9}, {10, 10, 1, 5});
  auto e = insp.inspect(1, bad.data(), bad.size());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, EventType::IsolationBreach);
  EXPECT_EQ(*e->field("from_zone"), "extranet");
  EXPECT_EQ(*e->field("to_zone"), "intranet");
  EXPECT_EQ(*e->field("src"), "10.20.1.9");
  EXPECT_EQ(*e->field("dst"), "10.10.1.5");
  EXPECT_EQ(*e->field("proto"), "tcp");
  EXPECT_EQ(*e->field("dport"), "445");
  EXPECT_EQ(*e->field("seen_zone"), "extranet");
  EXPECT_EQ(*e->field("policy"), build.compiled->digest);
  EXPECT_EQ(
      e->message,
      "isolation breach on the intranet segment (intra-tap): extranet address 10.20.1.9 seen");
  // Garbage never crashes.
  const uint8_t junk[] = {0x45, 0, 0xff};
  EXPECT_FALSE(insp.inspect(1, junk, sizeof(junk)));
}

TEST(SegmentInspector, UnknownZoneIsReported) {
  auto build = policy::buildPolicyFile(std::string(ISOGATE_SOURCE_DIR) +
                                       "/configs/tianjin-egov-boundary.yaml");
  ASSERT_TRUE(build.ok());
  SegmentInspector insp("tap", "nowhere");
  std::string err;
  EXPECT_FALSE(insp.setPolicy(*build.compiled, err));
  EXPECT_EQ(err, "monitor interface tap: zone 'nowhere' is not in policy tianjin-egov-boundary");
}

}  // namespace
}  // namespace isogate::mgmt
