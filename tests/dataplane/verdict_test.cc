// Verdicts of the whole pipeline for single packets: allowed, logical and
// physical isolation, deny rules, intra-zone, spoofing, breach, monitor ports,
// and the records and counters they leave.
#include <gtest/gtest.h>

#include "dataplane/wire.h"
#include "mgmt/event.h"
#include "tests/dataplane/harness.h"

namespace isogate::dataplane::test {
namespace {

constexpr uint16_t kExt = 0, kPortal = 1, kInet = 2, kTap = 3;

class VerdictTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h = std::make_unique<Harness>();
    h->learnHosts({"172.16.30.10", "10.20.5.5", "10.20.5.6", "203.0.113.1", "fd30::10", "fd20::5",
                   "2001:db8:1::1"});
  }
  std::unique_ptr<Harness> h;
};

uint8_t eventType(mgmt::EventType t) { return static_cast<uint8_t>(t); }

TEST_F(VerdictTest, AllowedFlowIsForwardedWithTtlChecksumAndMacs) {
  const Outcome o = h->send(kInet, Pkt::tcp("198.51.100.7", "172.16.30.10", 40000, 443).frame());
  ASSERT_TRUE(o.forwarded()) << dropReasonName(o.reason);
  EXPECT_EQ(o.port, kPortal);
  ASSERT_GE(o.frame.size(), 34u);
  EXPECT_EQ(std::memcmp(o.frame.data(), kHostMac, 6), 0);  // learned neighbour MAC
  const uint8_t portalMac[6] = {2, 0, 0, 0, 0, 2};
  EXPECT_EQ(std::memcmp(o.frame.data() + 6, portalMac, 6), 0);
  const uint8_t* ip = o.frame.data() + 14;
  EXPECT_EQ(ip[8], 63);  // TTL 64 - 1
  EXPECT_EQ(wire::fold(wire::sum16(ip, 20)), 0xffff) << "IPv4 header checksum after the TTL update";
  EXPECT_TRUE(o.records.empty());
}

TEST_F(VerdictTest, LogicalPairWithoutRuleIsDeniedAndReported) {
  const Outcome o = h->send(kExt, Pkt::tcp("10.20.5.5", "198.51.100.7", 40000, 80).frame());
  EXPECT_EQ(o.port, -1);
  EXPECT_EQ(o.reason, DropReason::LogicalIsolation);
  ASSERT_EQ(o.records.size(), 1u);
  const ViolationRecord& r = o.records[0];
  EXPECT_EQ(r.type, eventType(mgmt::EventType::LogicalIsolation));
  EXPECT_EQ(r.rule, kNoRule);
  EXPECT_EQ(r.fromZone, 1);  // extranet
  EXPECT_EQ(r.toZone, 3);    // internet
  EXPECT_EQ(r.family, 4);
  EXPECT_EQ(r.proto, 6);
  EXPECT_EQ(r.sport, 40000);
  EXPECT_EQ(r.dport, 80);
  EXPECT_EQ(r.ingressPort, kExt);
  const uint8_t src[4] = {10, 20, 5, 5};
  EXPECT_EQ(std::memcmp(r.src, src, 4), 0);
}

TEST_F(VerdictTest, FirstMatchingDenyRuleWins) {
  const Outcome o = h->send(kExt, Pkt::tcp("10.20.9.5", "172.16.30.10", 40000, 22).frame());
  EXPECT_EQ(o.reason, DropReason::RuleDeny);
  ASSERT_EQ(o.records.size(), 1u);
  EXPECT_EQ(o.records[0].rule, 1u);  // no-ssh-from-lab
  // The same service from another extranet host reaches the allow rule after it.
  const Outcome ok = h->send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 22).frame());
  EXPECT_TRUE(ok.forwarded()) << dropReasonName(ok.reason);
  EXPECT_EQ(ok.port, kPortal);
}

TEST_F(VerdictTest, PhysicalPairIsDroppedBeforeAnyRule) {
  const Outcome o = h->send(kExt, Pkt::tcp("10.20.5.5", "10.10.1.1", 40000, 443).frame());
  EXPECT_EQ(o.reason, DropReason::PhysicalIsolation);
  ASSERT_EQ(o.records.size(), 1u);
  EXPECT_EQ(o.records[0].type, eventType(mgmt::EventType::PhysicalIsolation));
  EXPECT_EQ(o.records[0].toZone, 0);  // intranet
  const Outcome v6 = h->send(kExt, Pkt::udp("fd20::5", "fd10::9", 5000, 53).frame());
  EXPECT_EQ(v6.reason, DropReason::PhysicalIsolation);
}

TEST_F(VerdictTest, SourceOutsideThePortsZoneIsSpoofed) {
  const Outcome o = h->send(kExt, Pkt::tcp("172.16.30.77", "172.16.30.10", 40000, 443).frame());
  EXPECT_EQ(o.reason, DropReason::SpoofedSource);
  ASSERT_EQ(o.records.size(), 1u);
  EXPECT_EQ(o.records[0].type, eventType(mgmt::EventType::SpoofedSource));
}

TEST_F(VerdictTest, SourceFromAPhysicallyIsolatedZoneIsABreach) {
  const Outcome o = h->send(kExt, Pkt::tcp("10.10.1.5", "172.16.30.10", 40000, 443).frame());
  EXPECT_EQ(o.reason, DropReason::IsolationBreach);
  ASSERT_EQ(o.records.size(), 1u);
  EXPECT_EQ(o.records[0].type, eventType(mgmt::EventType::IsolationBreach));
}

TEST_F(VerdictTest, IntraZoneTrafficFollowsTheZoneSetting) {
  const Outcome o = h->send(kExt, Pkt::udp("10.20.5.6", "10.20.5.5", 5000, 9999).frame());
  EXPECT_TRUE(o.forwarded()) << dropReasonName(o.reason);
  EXPECT_EQ(o.port, kExt);
  std::string denying = kTestPolicy;
  denying.replace(denying.find("level: internal"), 15, "level: internal\n    intra_zone: deny");
  Harness strict(denying);
  strict.learnHosts({"10.20.5.5"});
  const Outcome d = strict.send(kExt, Pkt::udp("10.20.5.6", "10.20.5.5", 5000, 9999).frame());
  EXPECT_EQ(d.reason, DropReason::IntraZoneDeny);
}

TEST_F(VerdictTest, UnsolicitedReplyIsDeniedButTheRealOnePasses) {
  const Outcome bogus =
      h->send(kPortal, Pkt::tcp("172.16.30.10", "198.51.100.7", 443, 40000, 0x12).frame());
  EXPECT_EQ(bogus.reason, DropReason::LogicalIsolation);
  ASSERT_TRUE(
      h->send(kInet, Pkt::tcp("198.51.100.7", "172.16.30.10", 40000, 443).frame()).forwarded());
  const Outcome reply =
      h->send(kPortal, Pkt::tcp("172.16.30.10", "198.51.100.7", 443, 40000, 0x12).frame());
  EXPECT_TRUE(reply.forwarded()) << dropReasonName(reply.reason);
  EXPECT_EQ(reply.port, kInet);
}

TEST_F(VerdictTest, Ipv6WithExtensionHeadersIsClassified) {
  Pkt p = Pkt::tcp("fd20::5", "fd30::10", 40000, 22);
  p.ext(0).ext(60).ext(43);
  const Outcome o = h->send(kExt, p.frame());
  EXPECT_TRUE(o.forwarded()) << dropReasonName(o.reason);
  EXPECT_EQ(o.port, kPortal);
  EXPECT_EQ(o.frame[14 + 7], 63);  // hop limit
  const Outcome d = h->send(kExt, Pkt::tcp("fd20::5", "fd30::10", 40000, 25).ext(60).frame());
  EXPECT_EQ(d.reason, DropReason::LogicalIsolation);
}

TEST_F(VerdictTest, VlanTaggedFrameIsForwardedUntagged) {
  const Outcome o =
      h->send(kInet, Pkt::tcp("198.51.100.7", "172.16.30.10", 40001, 443).vlan(100).frame());
  ASSERT_TRUE(o.forwarded()) << dropReasonName(o.reason);
  EXPECT_EQ(o.frame[12], 0x08);
  EXPECT_EQ(o.frame[13], 0x00);
}

TEST_F(VerdictTest, TtlOneIsNotForwarded) {
  const Outcome o =
      h->send(kInet, Pkt::tcp("198.51.100.7", "172.16.30.10", 40000, 443).ttl(1).frame());
  EXPECT_EQ(o.reason, DropReason::TtlExpired);
  EXPECT_EQ(o.port, -1);
  const Outcome v6 = h->send(kExt, Pkt::tcp("fd20::5", "fd30::10", 40000, 22).ttl(1).frame());
  EXPECT_EQ(v6.reason, DropReason::TtlExpired);
}

TEST_F(VerdictTest, AddressOutsideEveryZoneIsDeniedWithoutAnyZone) {
  std::string noAny = kTestPolicy;
  noAny.replace(noAny.find("networks: [any]"), 15, "networks: [198.51.100.0/24]");
  Harness strict(noAny);
  const Outcome o = strict.send(kExt, Pkt::udp("10.20.5.5", "192.0.2.1", 5000, 53).frame());
  EXPECT_EQ(o.reason, DropReason::NoZone);
}

TEST_F(VerdictTest, LoggedRuleReportsTheNewFlowOnce) {
  const Outcome o = h->send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 40100, 443).frame());
  ASSERT_TRUE(o.forwarded());
  ASSERT_EQ(o.records.size(), 1u);
  EXPECT_EQ(o.records[0].type, eventType(mgmt::EventType::FlowAllowed));
  EXPECT_EQ(o.records[0].rule, 2u);
  const Outcome again =
      h->send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 40100, 443, 0x10).frame());
  EXPECT_TRUE(again.forwarded());
  EXPECT_TRUE(again.records.empty());
}

TEST_F(VerdictTest, CountersPerRuleAndZonePair) {
  const auto f = Pkt::tcp("198.51.100.7", "172.16.30.10", 40000, 443).frame();
  ASSERT_TRUE(h->send(kInet, f).forwarded());
  ASSERT_TRUE(h->send(kInet, Pkt::tcp("198.51.100.7", "172.16.30.10", 40000, 443, 0x10).frame())
                  .forwarded());
  h->send(kExt, Pkt::tcp("10.20.5.5", "198.51.100.7", 1, 80).frame());
  const auto rules = h->dp().ruleTotals();
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].packets, 2u);
  EXPECT_EQ(rules[0].bytes, 2 * f.size());
  const auto pairs = h->dp().pairTotals();
  ASSERT_EQ(pairs.size(), 16u);
  EXPECT_EQ(pairs[3 * 4 + 2].forwarded.packets, 2u);  // internet -> portal
  EXPECT_EQ(pairs[1 * 4 + 3].dropped.packets, 1u);    // extranet -> internet
  const CounterTotals t = h->dp().totals();
  EXPECT_EQ(t.forwarded, 2u);
  EXPECT_EQ(t.drops[static_cast<int>(DropReason::LogicalIsolation)], 1u);
}

TEST_F(VerdictTest, MonitorPortNeverTransmitsAndReportsBreaches) {
  const Outcome inside = h->send(kTap, Pkt::tcp("10.10.1.5", "10.10.1.6", 40000, 445).frame());
  EXPECT_EQ(inside.reason, DropReason::Monitor);
  EXPECT_EQ(inside.port, -1);
  EXPECT_TRUE(inside.records.empty());
  const Outcome breach = h->send(kTap, Pkt::tcp("10.10.1.5", "10.20.1.9", 40000, 445).frame());
  EXPECT_EQ(breach.reason, DropReason::IsolationBreach);
  EXPECT_EQ(breach.port, -1);
  ASSERT_EQ(breach.records.size(), 1u);
  EXPECT_EQ(breach.records[0].type, eventType(mgmt::EventType::IsolationBreach));
  EXPECT_EQ(breach.records[0].ingressPort, kTap);
  // An ARP request for a gateway address on the tap is not answered.
  EXPECT_EQ(h->send(kTap, arpFrame(1, kHostMac, "10.10.1.5", "10.10.0.1", kGwMac)).port, -1);
}

TEST_F(VerdictTest, NoPolicyMeansNothingPasses) {
  std::string error;
  auto dp = Dataplane::create(testConfig(), &error);
  ASSERT_TRUE(dp) << error;
  TxBuffer tx;
  rte_mbuf* m = toMbuf(Pkt::tcp("198.51.100.7", "172.16.30.10", 40000, 443).frame());
  dp->worker(0).processBurst(kInet, &m, 1, tx, 1);
  EXPECT_EQ(tx.port[kPortal].count, 0);
  EXPECT_EQ(dp->totals().drops[static_cast<int>(DropReason::NoPolicy)], 1u);
}

TEST_F(VerdictTest, PolicyWhoseZonesMissAPortIsRejected) {
  std::string error;
  auto dp = Dataplane::create(testConfig(), &error);
  ASSERT_TRUE(dp);
  std::string renamed = kTestPolicy;
  for (size_t at; (at = renamed.find("portal")) != std::string::npos;)
    renamed.replace(at, 6, "public");
  EXPECT_FALSE(dp->installPolicy(compileOrDie(renamed), {}, &error));
  EXPECT_EQ(error, "port 'portal0': zone 'portal' is not in policy 'dataplane-test'");
  EXPECT_EQ(dp->generation(), 0u);
}

TEST_F(VerdictTest, ForwardingPortsInPhysicallyIsolatedZonesAreRejected) {
  DataplaneConfig c = testConfig();
  c.ports[3].monitor = false;  // the intranet port would now forward
  std::string error;
  auto dp = Dataplane::create(c, &error);
  ASSERT_TRUE(dp) << error;
  EXPECT_FALSE(dp->installPolicy(compileOrDie(kTestPolicy), {}, &error));
  EXPECT_EQ(error,
            "ports 'ext0' and 'tap' forward between zones 'extranet' and 'intranet', which policy "
            "'dataplane-test' isolates physically");
}

}  // namespace
}  // namespace isogate::dataplane::test
