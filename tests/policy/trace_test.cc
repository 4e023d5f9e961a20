#include "policy/trace.h"

#include <gtest/gtest.h>

#include <iterator>
#include <random>

#include "policy/pipeline.h"
#include "tests/policy/policy_fixture.h"

namespace isogate::policy {
namespace {

// Line numbers matter: rules start at lines 31, 36, 44 and 49.
const std::string kPolicy = testing::policyText(
    {"version: 1\nname: spec-example\nzones:\n", testing::kIntranetZone, testing::kExtranetZone,
     "    intra_zone: deny\n", testing::kPortalZone, testing::kInternetZone,
     testing::exampleIsolation(), R"(services:
  https: {tcp: [443]}
  ssh:   {tcp: [22]}
  ping:  {icmp: [echo-request]}
rules:
)",
     testing::kCitizensBrowsePortalRule, testing::kPublishContentRule, R"(    log: true
    ref: EX-2026-017
    schedule: {days: [mon, tue, wed, thu, fri], hours: "08:00-18:00"}
  - name: extranet-ping
    from: extranet
    to: internet
    services: [ping]
    action: allow
  - name: extranet-admin-ssh
    from: {zone: extranet, networks: [10.20.1.0/24]}
    to: extranet
    services: [ssh]
    action: allow
)"});

PacketKey tcp(const char* src, const char* dst, uint16_t dport) {
  PacketKey p;
  p.src = *parseAddress(src);
  p.dst = *parseAddress(dst);
  p.protocol = kProtoTcp;
  p.sport = 40000;
  p.dport = dport;
  return p;
}

class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    build_ = buildPolicyText(kPolicy, "spec.yaml");
    ASSERT_TRUE(build_.ok());
  }
  Trace trace(const PacketKey& p, const char* at = "mon 10:00") {
    LocalTime t;
    t.weekday = 0;
    t.minute = 600;
    if (std::string(at) == "sat 10:00") t.weekday = 5;
    return tracePacket(build_.model, p, t);
  }
  nlohmann::ordered_json json(const Trace& t) {
    return traceToJson(build_.model, t, build_.compiled->digest);
  }
  PolicyBuild build_;
};

TEST_F(TraceTest, AllowedByRuleWithLocation) {
  const Trace t = trace(tcp("203.0.113.7", "172.16.30.10", 443));
  EXPECT_TRUE(t.consistent);
  EXPECT_TRUE(t.verdict.allow);
  EXPECT_EQ(t.path, PathKind::Logical);
  ASSERT_EQ(t.steps.size(), 1u);
  EXPECT_TRUE(t.steps[0].match.matched());
  EXPECT_FALSE(t.src.network);  // the `any` zone
  ASSERT_TRUE(t.dst.network);
  EXPECT_EQ(toString(*t.dst.network), "172.16.30.0/24");
  const auto j = json(t);
  EXPECT_EQ(j["verdict"], "allow");
  EXPECT_EQ(j["from_zone"], "internet");
  EXPECT_EQ(j["to_zone"], "portal");
  EXPECT_EQ(j["isolation"], "logical");
  EXPECT_EQ(j["rule"], "citizens-browse-portal");
  EXPECT_EQ(j["location"], "spec.yaml:31");
  EXPECT_EQ(j["policy"], build_.compiled->digest);
  const std::string text = formatTrace(build_.model, t, build_.compiled->digest);
  EXPECT_NE(text.find("verdict      allow by rule 'citizens-browse-portal' at spec.yaml:31"),
            std::string::npos)
      << text;
}

TEST_F(TraceTest, PhysicalPairHasNoRule) {
  const Trace t = trace(tcp("10.10.1.5", "10.20.1.9", 445));
  EXPECT_TRUE(t.consistent);
  EXPECT_FALSE(t.verdict.allow);
  EXPECT_TRUE(t.steps.empty());
  const auto j = json(t);
  EXPECT_EQ(j["isolation"], "physical");
  EXPECT_TRUE(j["rule"].is_null());
  EXPECT_TRUE(j["location"].is_null());
  EXPECT_EQ(j["from_zone"], "intranet");
  EXPECT_EQ(j["to_zone"], "extranet");
}

TEST_F(TraceTest, ScheduleInactiveExplained) {
  const Trace t = trace(tcp("10.20.5.7", "172.16.30.10", 22), "sat 10:00");
  EXPECT_TRUE(t.consistent);
  EXPECT_FALSE(t.verdict.allow);
  ASSERT_EQ(t.steps.size(), 1u);
  EXPECT_EQ(t.steps[0].match.miss, RuleMiss::ScheduleInactive);
  EXPECT_EQ(t.steps[0].match.reason, "schedule mon-fri 08:00-18:00 is inactive at sat 10:00");
  const auto j = json(t);
  EXPECT_EQ(j["isolation"], "logical");
  EXPECT_TRUE(j["rule"].is_null());
  EXPECT_EQ(j["considered"][0]["result"], "no-match");
}

TEST_F(TraceTest, ScheduleActiveAllowsWithRef) {
  const Trace t = trace(tcp("10.20.5.7", "172.16.30.10", 22));
  EXPECT_TRUE(t.verdict.allow);
  const auto j = json(t);
  EXPECT_EQ(j["rule"], "publish-content");
  EXPECT_EQ(j["location"], "spec.yaml:36");
  EXPECT_EQ(j["ref"], "EX-2026-017");
}

TEST_F(TraceTest, MissReasonsNameNetworksAndServices) {
  Trace t = trace(tcp("10.20.6.7", "172.16.30.10", 22));
  ASSERT_EQ(t.steps.size(), 1u);
  EXPECT_EQ(t.steps[0].match.reason, "source 10.20.6.7 is outside from networks 10.20.5.0/24");
  t = trace(tcp("10.20.5.7", "172.16.30.11", 22));
  EXPECT_EQ(t.steps[0].match.reason,
            "destination 172.16.30.11 is outside to networks 172.16.30.10/32");
  t = trace(tcp("10.20.5.7", "172.16.30.10", 23));
  EXPECT_EQ(t.steps[0].match.reason, "tcp/23 is not in services ssh (tcp/22)");
  EXPECT_FALSE(t.verdict.allow);
}

TEST_F(TraceTest, IntraZoneRuleAndDefault) {
  Trace t = trace(tcp("10.20.1.5", "10.20.2.5", 22));
  EXPECT_TRUE(t.consistent);
  EXPECT_TRUE(t.verdict.allow);
  auto j = json(t);
  EXPECT_EQ(j["isolation"], "intra-zone");
  EXPECT_EQ(j["rule"], "extranet-admin-ssh");
  EXPECT_EQ(j["location"], "spec.yaml:49");
  t = trace(tcp("10.20.3.5", "10.20.2.5", 22));  // intra_zone: deny, no rule matches
  EXPECT_TRUE(t.consistent);
  EXPECT_FALSE(t.verdict.allow);
  j = json(t);
  EXPECT_EQ(j["isolation"], "intra-zone");
  EXPECT_TRUE(j["rule"].is_null());
}

TEST_F(TraceTest, IcmpAndIpv6) {
  PacketKey p;
  p.src = *parseAddress("10.20.3.5");
  p.dst = *parseAddress("198.51.100.1");
  p.protocol = kProtoIcmp;
  p.icmpType = 8;
  Trace t = trace(p);
  EXPECT_TRUE(t.verdict.allow);
  EXPECT_EQ(json(t)["packet"]["icmp_type"], "echo-request");
  p.icmpType = 13;
  t = trace(p);
  EXPECT_FALSE(t.verdict.allow);
  EXPECT_EQ(t.steps[0].match.reason,
            "icmp/timestamp-request is not in services ping (icmp/echo-request)");
  t = trace(tcp("fd10::1", "2001:db8::1", 443));
  EXPECT_EQ(json(t)["isolation"], "physical");
  EXPECT_EQ(json(t)["src_network"], "fd10::/48");
}

// The explanation must agree with the evaluator on every packet: random packets
// over the example policy (addresses near every network, every service, every
// day and hour) against evaluatePolicy.
TEST(TraceConsistencyTest, ExplanationAgreesWithEvaluatorOnExamplePolicy) {
  const PolicyBuild b =
      buildPolicyFile(std::string(ISOGATE_SOURCE_DIR) + "/configs/tianjin-egov-boundary.yaml");
  ASSERT_TRUE(b.ok());
  const char* v4[] = {"10.10.1.5",    "10.20.5.7",     "10.20.8.20",   "10.20.1.10",
                      "10.20.1.53",   "10.20.6.10",    "172.16.30.10", "172.16.30.20",
                      "172.16.30.70", "172.16.30.100", "198.51.100.9", "203.0.113.7",
                      "10.20.1.1"};
  const char* v6[] = {"fd10::1",         "fd20:0:0:5::7",   "fd20:0:0:1::10", "fd20:0:0:1::53",
                      "2001:db8:30::10", "2001:db8:30::99", "2001:db8::1"};
  const uint16_t ports[] = {22, 53, 80, 443, 5432, 8443};
  std::mt19937 rng(7);
  int allowed = 0;
  for (int i = 0; i < 5000; ++i) {
    PacketKey p;
    const bool six = rng() % 3 == 0;
    if (six) {
      p.src = *parseAddress(v6[rng() % std::size(v6)]);
      p.dst = *parseAddress(v6[rng() % std::size(v6)]);
    } else {
      p.src = *parseAddress(v4[rng() % std::size(v4)]);
      p.dst = *parseAddress(v4[rng() % std::size(v4)]);
    }
    switch (rng() % 3) {
      case 0:
        p.protocol = kProtoTcp;
        break;
      case 1:
        p.protocol = kProtoUdp;
        break;
      default:
        p.protocol = six ? kProtoIcmpv6 : kProtoIcmp;
        break;
    }
    if (p.protocol == kProtoTcp || p.protocol == kProtoUdp) {
      p.dport = ports[rng() % std::size(ports)];
    } else {
      p.icmpType = static_cast<int>(rng() % 2 ? (six ? 128 : 8) : rng() % 256);
    }
    LocalTime at;
    at.weekday = static_cast<uint8_t>(rng() % 7);
    at.minute = static_cast<uint16_t>(rng() % 1440);
    const Trace t = tracePacket(b.model, p, at);
    ASSERT_TRUE(t.consistent) << formatTrace(b.model, t, "");
    allowed += t.verdict.allow;
  }
  EXPECT_GT(allowed, 100);
}

}  // namespace
}  // namespace isogate::policy
