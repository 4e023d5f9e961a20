#include "gateway/violation_event.h"

#include <gtest/gtest.h>

#include <vector>

#include "policy/pipeline.h"
#include "tests/gateway/gateway_fixture.h"

namespace isogate::gateway {
namespace {

using testing::ipv4Tcp;
using testing::kFixturePolicy;

TEST(DecodeLogPrefix, TypeRuleAndDetail) {
  auto t = decodeLogPrefix("isogate:logical-isolation:4:no-ssh-from-portal");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->type, mgmt::EventType::LogicalIsolation);
  EXPECT_EQ(t->ruleId, 4);
  EXPECT_EQ(t->detail, "no-ssh-from-portal");
  auto p = decodeLogPrefix("isogate:physical-isolation:-:extranet intranet");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, mgmt::EventType::PhysicalIsolation);
  EXPECT_EQ(p->ruleId, -1);
}

TEST(DecodeLogPrefix, RefusesForeignPrefixes) {
  EXPECT_FALSE(decodeLogPrefix(""));
  EXPECT_FALSE(decodeLogPrefix("IN=eth0 "));
  EXPECT_FALSE(decodeLogPrefix("isogate:no-such-type:-:x"));
  EXPECT_FALSE(decodeLogPrefix("isogate:logical-isolation:4x:y"));
  EXPECT_FALSE(decodeLogPrefix("isogate:logical-isolation"));
}

TEST(SummarizePacket, Ipv4Tcp) {
  auto s = summarizePacket(ipv4Tcp(0xac101e0a, 0x0a140509, 40000, 22));  // 172.16.30.10 -> 10.20.5.9
  ASSERT_TRUE(s);
  EXPECT_EQ(policy::toString(s->src), "172.16.30.10");
  EXPECT_EQ(policy::toString(s->dst), "10.20.5.9");
  EXPECT_EQ(s->protocol, 6);
  EXPECT_EQ(s->sport, 40000);
  EXPECT_EQ(s->dport, 22);
  EXPECT_FALSE(s->icmpType);
}

TEST(SummarizePacket, Ipv6IcmpAndGarbage) {
  std::vector<uint8_t> p(48, 0);
  p[0] = 0x60;
  p[6] = 58;
  p[8] = 0xfd;
  p[9] = 0x20;
  p[23] = 0x10;  // fd20::10
  p[24] = 0xfd;
  p[25] = 0x10;
  p[39] = 0x05;  // fd10::5
  p[40] = 128;
  auto s = summarizePacket(p);
  ASSERT_TRUE(s);
  EXPECT_EQ(policy::toString(s->src), "fd20::10");
  EXPECT_EQ(policy::toString(s->dst), "fd10::5");
  EXPECT_EQ(s->icmpType, 128);
  EXPECT_FALSE(s->dport);
  EXPECT_FALSE(summarizePacket(std::vector<uint8_t>{0x45, 0, 0}));
  EXPECT_FALSE(summarizePacket(std::vector<uint8_t>(40, 0)));
}

TEST(ViolationEvent, NamesZonesAndRuleFromThePolicy) {
  auto build = policy::buildPolicyFile(kFixturePolicy);
  ASSERT_TRUE(build.ok());
  const auto& p = *build.compiled;
  int denyId = -1;
  for (const auto& r : p.rules) {
    if (r.name == "no-ssh-from-portal") denyId = static_cast<int>(r.id);
  }
  ASSERT_GE(denyId, 0);
  auto s = summarizePacket(ipv4Tcp(0xac101e0a, 0x0a140509, 40000, 22));
  auto e = violationEvent({mgmt::EventType::LogicalIsolation, denyId, ""}, *s, &p, "por0");
  EXPECT_EQ(e.type, mgmt::EventType::LogicalIsolation);
  EXPECT_EQ(*e.field("from_zone"), "portal");
  EXPECT_EQ(*e.field("to_zone"), "extranet");
  EXPECT_EQ(*e.field("src"), "172.16.30.10");
  EXPECT_EQ(*e.field("dst"), "10.20.5.9");
  EXPECT_EQ(*e.field("proto"), "tcp");
  EXPECT_EQ(*e.field("sport"), "40000");
  EXPECT_EQ(*e.field("dport"), "22");
  EXPECT_EQ(*e.field("rule"), "no-ssh-from-portal");
  EXPECT_EQ(*e.field("in_interface"), "por0");
  EXPECT_EQ(e.message, "blocked portal -> extranet");

  auto physical = violationEvent({mgmt::EventType::PhysicalIsolation, -1, ""},
                                 *summarizePacket(ipv4Tcp(0x0a140509, 0x0a0a0105, 1, 445)), &p, "");
  EXPECT_EQ(*physical.field("from_zone"), "extranet");
  EXPECT_EQ(*physical.field("to_zone"), "intranet");
  EXPECT_EQ(*physical.field("rule"), "");
  EXPECT_EQ(physical.field("in_interface"), nullptr);
}

}  // namespace
}  // namespace isogate::gateway
