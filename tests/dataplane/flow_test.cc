// Connection tracking through the whole pipeline: TCP states and timeouts,
// UDP and ICMP echo replies, related ICMP errors, a full table, fragments, and
// the re-check of established flows after a policy swap.
#include <gtest/gtest.h>

#include "dataplane/tcp_state.h"
#include "mgmt/event.h"
#include "tests/dataplane/harness.h"

namespace isogate::dataplane::test {
namespace {

constexpr uint16_t kExt = 0, kPortal = 1, kInet = 2;
constexpr uint8_t kSyn = 0x02, kAck = 0x10, kSynAck = 0x12, kFinAck = 0x11, kRst = 0x04;

class FlowTest : public ::testing::Test {
 protected:
  void SetUp() override { makeHarness(kTestPolicy, testConfig()); }
  void makeHarness(const std::string& policy, DataplaneConfig c) {
    h = std::make_unique<Harness>(policy, c);
    h->learnHosts(
        {"172.16.30.10", "10.20.5.5", "203.0.113.1", "fd30::10", "fd20::5", "2001:db8:1::1"});
  }
  Outcome client(uint8_t flags, uint16_t sport = 40000) {
    return h->send(kInet, Pkt::tcp("198.51.100.7", "172.16.30.10", sport, 443, flags).frame());
  }
  Outcome server(uint8_t flags, uint16_t dport = 40000) {
    return h->send(kPortal, Pkt::tcp("172.16.30.10", "198.51.100.7", 443, dport, flags).frame());
  }
  TcpState state(uint16_t sport = 40000) {
    FlowKey key;
    bool lo;
    makeFlowKey(false, 6, policy::parseAddress("198.51.100.7")->value,
                policy::parseAddress("172.16.30.10")->value, sport, 443, &key, &lo);
    FlowTable& t = h->dp().worker(0).context().flows;
    const int32_t p = t.lookup(key);
    return p < 0 ? TcpState::None : t.entry(p).tcp;
  }
  std::unique_ptr<Harness> h;
};

TEST_F(FlowTest, TcpHandshakeDataAndClose) {
  ASSERT_TRUE(client(kSyn).forwarded());
  EXPECT_EQ(state(), TcpState::SynSent);
  ASSERT_TRUE(server(kSynAck).forwarded());
  EXPECT_EQ(state(), TcpState::SynReceived);
  ASSERT_TRUE(client(kAck).forwarded());
  EXPECT_EQ(state(), TcpState::Established);
  ASSERT_TRUE(server(kAck).forwarded());
  ASSERT_TRUE(client(kFinAck).forwarded());
  EXPECT_EQ(state(), TcpState::Closing);
  ASSERT_TRUE(server(kFinAck).forwarded());
  ASSERT_TRUE(client(kAck).forwarded());
  EXPECT_EQ(state(), TcpState::Closed);
  h->advanceSeconds(11);  // closed flows live 10 s
  EXPECT_EQ(server(kAck).reason, DropReason::LogicalIsolation);
}

TEST_F(FlowTest, RstClosesAndANewSynReopens) {
  ASSERT_TRUE(client(kSyn).forwarded());
  ASSERT_TRUE(server(kRst).forwarded());
  EXPECT_EQ(state(), TcpState::Closed);
  ASSERT_TRUE(client(kSyn).forwarded());
  EXPECT_EQ(state(), TcpState::SynSent);
}

TEST_F(FlowTest, MidStreamPacketWithoutFlowIsNotAStart) {
  EXPECT_EQ(client(kAck).reason, DropReason::TcpInvalid);
  EXPECT_EQ(state(), TcpState::None);
  EXPECT_EQ(client(kSynAck).reason, DropReason::TcpInvalid);
}

TEST_F(FlowTest, HalfOpenFlowTimesOut) {
  ASSERT_TRUE(client(kSyn).forwarded());
  h->advanceSeconds(29);
  EXPECT_TRUE(server(kSynAck).forwarded());
  h->advanceSeconds(31);
  EXPECT_EQ(server(kAck).reason, DropReason::LogicalIsolation);
}

TEST_F(FlowTest, UdpAndEchoRepliesPassUnsolicitedOnesDoNot) {
  EXPECT_EQ(h->send(kInet, Pkt::udp("203.0.113.1", "10.20.5.5", 53, 5000).frame()).reason,
            DropReason::LogicalIsolation);
  ASSERT_TRUE(h->send(kExt, Pkt::udp("10.20.5.5", "203.0.113.1", 5000, 53).frame()).forwarded());
  EXPECT_TRUE(h->send(kInet, Pkt::udp("203.0.113.1", "10.20.5.5", 53, 5000).frame()).forwarded());
  EXPECT_EQ(h->send(kInet, Pkt::udp("203.0.113.1", "10.20.5.5", 53, 5001).frame()).reason,
            DropReason::LogicalIsolation);
  // ICMP echo: the reply with the same identifier passes, another identifier does not.
  EXPECT_EQ(h->send(kPortal, Pkt::icmp("172.16.30.10", "10.20.5.5", 0, 9).frame()).reason,
            DropReason::LogicalIsolation);
  ASSERT_TRUE(h->send(kExt, Pkt::icmp("10.20.5.5", "172.16.30.10", 8, 9).frame()).forwarded());
  EXPECT_TRUE(h->send(kPortal, Pkt::icmp("172.16.30.10", "10.20.5.5", 0, 9).frame()).forwarded());
  EXPECT_EQ(h->send(kPortal, Pkt::icmp("172.16.30.10", "10.20.5.5", 0, 10).frame()).reason,
            DropReason::LogicalIsolation);
  ASSERT_TRUE(h->send(kExt, Pkt::icmp("fd20::5", "fd30::10", 128, 3).frame()).forwarded());
  EXPECT_TRUE(h->send(kPortal, Pkt::icmp("fd30::10", "fd20::5", 129, 3).frame()).forwarded());
}

TEST_F(FlowTest, RelatedIcmpErrorPassesOnlyForAKnownFlow) {
  const Pkt out = Pkt::udp("10.20.5.5", "203.0.113.1", 5000, 53);
  const Outcome unknown =
      h->send(kInet, Pkt::icmp("203.0.113.1", "10.20.5.5", 3).quote(out).frame());
  EXPECT_EQ(unknown.reason, DropReason::LogicalIsolation);
  ASSERT_TRUE(h->send(kExt, out.frame()).forwarded());
  const Outcome related =
      h->send(kInet, Pkt::icmp("203.0.113.1", "10.20.5.5", 3).quote(out).frame());
  EXPECT_TRUE(related.forwarded()) << dropReasonName(related.reason);
  EXPECT_EQ(related.port, kExt);
}

TEST_F(FlowTest, FullTableDeniesNewFlowsAndCountsIt) {
  DataplaneConfig c = testConfig();
  c.flowCapacity = 64;
  makeHarness(kTestPolicy, c);
  int admitted = 0;
  for (uint16_t i = 0; i < 200; ++i) {
    if (client(kSyn, static_cast<uint16_t>(1000 + i)).forwarded()) ++admitted;
  }
  EXPECT_GE(admitted, 64);
  EXPECT_LT(admitted, 200);
  EXPECT_EQ(h->drops(DropReason::FlowTableFull), static_cast<uint64_t>(200 - admitted));
  EXPECT_EQ(client(kSyn, 60000).reason, DropReason::FlowTableFull);
  // Established flows keep working while the table is full.
  const Outcome est = server(kSynAck, 1000);
  EXPECT_TRUE(est.forwarded()) << dropReasonName(est.reason) << " admitted " << admitted;
  // Once flows expire, new ones are admitted again.
  h->advanceSeconds(3600);
  h->learnHosts({"172.16.30.10"});  // neighbours age out too
  EXPECT_EQ(h->dp().worker(0).expireFlows(h->now(), 1000), static_cast<uint32_t>(admitted));
  EXPECT_EQ(h->dp().totals().flowsActive, 0u);
  const Outcome again = client(kSyn, 60001);
  EXPECT_TRUE(again.forwarded()) << dropReasonName(again.reason);
}

TEST_F(FlowTest, FragmentsFollowTheirFirstFragment) {
  const Pkt first = Pkt::udp("10.20.5.5", "203.0.113.1", 5000, 53).payload(64).frag(0, true, 4242);
  const Pkt rest = Pkt::udp("10.20.5.5", "203.0.113.1", 5000, 53).payload(24).frag(9, false, 4242);
  const Outcome orphan = h->send(kExt, rest.frame());
  EXPECT_EQ(orphan.reason, DropReason::Malformed);
  ASSERT_TRUE(h->send(kExt, first.frame()).forwarded());
  const Outcome later = h->send(kExt, rest.frame());
  EXPECT_TRUE(later.forwarded()) << dropReasonName(later.reason);
  EXPECT_EQ(later.port, kInet);
  // A denied first fragment lets nothing after it through.
  const Pkt denied = Pkt::udp("10.20.5.5", "203.0.113.1", 5000, 99).payload(64).frag(0, true, 4343);
  EXPECT_EQ(h->send(kExt, denied.frame()).reason, DropReason::LogicalIsolation);
  EXPECT_EQ(
      h->send(kExt, Pkt::udp("10.20.5.5", "203.0.113.1", 1, 1).frag(9, false, 4343).frame()).reason,
      DropReason::Malformed);
  // IPv6 fragments behind extension headers.
  const Pkt f6 = Pkt::tcp("fd20::5", "fd30::10", 40000, 22).payload(64).ext(0).frag(0, true, 77);
  ASSERT_TRUE(h->send(kExt, f6.frame()).forwarded());
  EXPECT_TRUE(
      h->send(kExt, Pkt::tcp("fd20::5", "fd30::10", 1, 1).ext(60).frag(11, false, 77).frame())
          .forwarded());
  EXPECT_EQ(h->send(kExt, Pkt::tcp("fd20::5", "fd30::10", 1, 1).frag(11, false, 78).frame()).reason,
            DropReason::Malformed);
}

TEST_F(FlowTest, ReloadCutsFlowsTheNewPolicyDeniesAndKeepsTheOthers) {
  ASSERT_TRUE(client(kSyn).forwarded());
  ASSERT_TRUE(h->send(kExt, Pkt::udp("10.20.5.5", "203.0.113.1", 5000, 53).frame()).forwarded());
  std::string narrower = kTestPolicy;
  const std::string rule =
      "  - name: browse-portal\n    from: internet\n    to: portal\n    services: [https]\n"
      "    action: allow\n";
  narrower.erase(narrower.find(rule), rule.size());
  std::string error;
  RetiredPolicy retired;
  const uint32_t before = h->dp().generation();
  ASSERT_TRUE(h->dp().installPolicy(compileOrDie(narrower), {0, 600}, &error, &retired)) << error;
  EXPECT_EQ(h->dp().generation(), before + 1);
  EXPECT_EQ(retired.generation, before);
  ASSERT_EQ(retired.rules.size(), 4u);
  EXPECT_EQ(retired.rules[0].packets, 1u);
  const Outcome cut = server(kSynAck);
  EXPECT_EQ(cut.reason, DropReason::FlowCut);
  ASSERT_EQ(cut.records.size(), 1u);
  EXPECT_EQ(cut.records[0].type, static_cast<uint8_t>(mgmt::EventType::LogicalIsolation));
  EXPECT_EQ(cut.records[0].policyGeneration, before + 1);
  EXPECT_EQ(state(), TcpState::None) << "the cut flow is gone";
  EXPECT_EQ(client(kAck).reason, DropReason::LogicalIsolation);
  // The DNS flow is still allowed (rule ext-dns, now index 2) and keeps running.
  const Outcome kept = h->send(kInet, Pkt::udp("203.0.113.1", "10.20.5.5", 53, 5000).frame());
  EXPECT_TRUE(kept.forwarded()) << dropReasonName(kept.reason);
  EXPECT_EQ(h->dp().ruleTotals()[2].packets, 1u);
  EXPECT_NE(h->dp().policyOf(before), nullptr);
}

TEST_F(FlowTest, ScheduleEdgeRebuildsAndCutsFlows) {
  std::string scheduled = kTestPolicy;
  scheduled.replace(scheduled.find("    services: [https]\n    action: allow\n"), 0,
                    "    schedule: {days: [mon, tue, wed, thu, fri], hours: \"08:00-18:00\"}\n");
  makeHarness(scheduled, testConfig());
  std::string error;
  ASSERT_TRUE(h->dp().installPolicy(compileOrDie(scheduled), {0, 9 * 60}, &error))
      << error;  // monday 09:00
  ASSERT_TRUE(client(kSyn).forwarded());
  EXPECT_FALSE(h->dp().refreshSchedules({0, 10 * 60}, &error)) << "nothing changed at 10:00";
  EXPECT_TRUE(h->dp().refreshSchedules({0, 18 * 60 + 1}, &error)) << error;
  EXPECT_EQ(server(kSynAck).reason, DropReason::FlowCut);
  EXPECT_EQ(client(kSyn, 41000).reason, DropReason::LogicalIsolation);
}

TEST(TcpStateTest, TimeoutsFollowTheState) {
  TickTimeouts t = TickTimeouts::from(Timeouts{}, 1);
  FlowEntry e;
  e.tcp = TcpState::SynSent;
  EXPECT_EQ(advanceTcp(e, true, kSynAck, t), 30u);
  EXPECT_EQ(advanceTcp(e, false, kAck, t), 7200u);
  EXPECT_EQ(advanceTcp(e, true, kFinAck, t), 120u);
  EXPECT_EQ(advanceTcp(e, false, kRst, t), 10u);
}

}  // namespace
}  // namespace isogate::dataplane::test
