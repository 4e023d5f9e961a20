// The DPDK backend's flow table for `isogatectl flows`, on the in-process data plane: a
// request is served by the worker between bursts (never by the control thread reading the
// table), the copy names zones and the deciding rule, leaves out ended flows, and stays
// within its bound while still counting the whole table.
#include "gateway/dpdk_flows.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/dataplane/harness.h"

namespace isogate::gateway {
namespace {

using dataplane::test::Harness;
using dataplane::test::Pkt;

constexpr uint16_t kExt = 0, kPortal = 1, kInet = 2;
constexpr uint8_t kSyn = 0x02, kAck = 0x10, kSynAck = 0x12;

class DpdkFlowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h = std::make_unique<Harness>();
    h->learnHosts({"172.16.30.10", "10.20.5.5", "203.0.113.1", "fd30::10", "fd20::5", "2001:db8:1::1"});
  }
  void openTcp(uint16_t sport) {
    ASSERT_TRUE(h->send(kInet, Pkt::tcp("198.51.100.7", "172.16.30.10", sport, 443, kSyn).frame()).forwarded());
    ASSERT_TRUE(h->send(kPortal, Pkt::tcp("172.16.30.10", "198.51.100.7", 443, sport, kSynAck).frame()).forwarded());
    ASSERT_TRUE(h->send(kInet, Pkt::tcp("198.51.100.7", "172.16.30.10", sport, 443, kAck).frame()).forwarded());
  }
  // What the control thread would send: ask, let the worker run its housekeeping, collect.
  mgmt::FlowSnapshot snapshot(size_t max = mgmt::kMaxSnapshotFlows) {
    requestFlows(h->dp());
    mgmt::FlowSnapshot s;
    EXPECT_FALSE(collectFlows(h->dp(), max, s));  // the worker has not served it yet
    h->dp().worker(0).expireFlows(h->now(), 256);
    EXPECT_TRUE(collectFlows(h->dp(), max, s));
    return s;
  }
  std::unique_ptr<Harness> h;
};

TEST_F(DpdkFlowsTest, TheWorkerServesACopyWithZonesRuleAndState) {
  openTcp(40000);
  ASSERT_TRUE(h->send(kExt, Pkt::udp("10.20.5.5", "198.51.100.53", 5353, 53).frame()).forwarded());
  ASSERT_TRUE(h->send(kExt, Pkt::icmp("fd20::5", "fd30::10", 128).frame()).forwarded());
  mgmt::FlowSnapshot s = snapshot();
  EXPECT_EQ(s.backend, "dpdk");
  EXPECT_EQ(s.total, 3u);
  ASSERT_EQ(s.flows.size(), 3u);
  auto find = [&](uint8_t proto) {
    auto it = std::find_if(s.flows.begin(), s.flows.end(), [&](const auto& f) { return f.proto == proto; });
    EXPECT_NE(it, s.flows.end()) << int(proto);
    return *it;
  };
  const mgmt::FlowRecord tcp = find(6);
  EXPECT_EQ(tcp.family, 4);
  EXPECT_EQ(tcp.src, "198.51.100.7");  // the initiator, whichever end sorts lower in the key
  EXPECT_EQ(tcp.sport, 40000);
  EXPECT_EQ(tcp.dst, "172.16.30.10");
  EXPECT_EQ(tcp.dport, 443);
  EXPECT_EQ(tcp.fromZone, "internet");
  EXPECT_EQ(tcp.toZone, "portal");
  EXPECT_EQ(tcp.rule, "browse-portal");
  EXPECT_EQ(tcp.state, "established");
  EXPECT_EQ(tcp.timeoutS, 7200u);
  EXPECT_FALSE(tcp.packets);
  const mgmt::FlowRecord udp = find(17);
  EXPECT_EQ(udp.src, "10.20.5.5");
  EXPECT_EQ(udp.sport, 5353);
  EXPECT_EQ(udp.dst, "198.51.100.53");
  EXPECT_EQ(udp.dport, 53);
  EXPECT_EQ(udp.fromZone, "extranet");
  EXPECT_EQ(udp.toZone, "internet");
  EXPECT_EQ(udp.rule, "ext-dns");
  EXPECT_EQ(udp.state, "unreplied");
  EXPECT_EQ(udp.timeoutS, 30u);
  const mgmt::FlowRecord icmp = find(58);
  EXPECT_EQ(icmp.family, 6);
  EXPECT_EQ(icmp.src, "fd20::5");
  EXPECT_EQ(icmp.dst, "fd30::10");
  EXPECT_EQ(icmp.sport, 0);
  EXPECT_EQ(icmp.rule, "admin-portal");
  EXPECT_EQ(icmp.state, "active");
}

TEST_F(DpdkFlowsTest, EndedFlowsAreLeftOutAndTheTimeoutCountsDown) {
  openTcp(40000);
  ASSERT_TRUE(h->send(kExt, Pkt::udp("10.20.5.5", "198.51.100.53", 5353, 53).frame()).forwarded());
  h->advanceSeconds(31);  // the unreplied UDP flow (30 s) has ended
  mgmt::FlowSnapshot s = snapshot();
  ASSERT_EQ(s.flows.size(), 1u);
  EXPECT_EQ(s.flows[0].proto, 6);
  EXPECT_EQ(s.flows[0].timeoutS, 7200u - 31u);
  EXPECT_EQ(s.total, 1u);
}

TEST_F(DpdkFlowsTest, TheCopyIsBoundedAndTheTotalCountsTheRest) {
  for (uint16_t p = 0; p < 5; ++p) openTcp(static_cast<uint16_t>(41000 + p));
  // A worker copies at most its export's capacity; the control thread cuts at `max`.
  mgmt::FlowSnapshot s = snapshot(3);
  EXPECT_EQ(s.flows.size(), 3u);
  EXPECT_EQ(s.total, 5u);
  dataplane::FlowExport small(2);
  small.request();
  EXPECT_TRUE(small.pending());
  small.serve(h->dp().worker(0).context().flows, h->now());
  ASSERT_TRUE(small.ready());
  EXPECT_FALSE(small.pending());
  EXPECT_EQ(small.count(), 2u);
  EXPECT_EQ(small.total(), 5u);
}

TEST_F(DpdkFlowsTest, NothingIsCopiedUntilAsked) {
  openTcp(40000);
  dataplane::FlowExport& ex = h->dp().worker(0).flowExport();
  h->dp().worker(0).expireFlows(h->now(), 256);
  EXPECT_FALSE(ex.ready());
  EXPECT_FALSE(ex.pending());
  EXPECT_EQ(ex.count(), 0u);
}

}  // namespace
}  // namespace isogate::gateway
