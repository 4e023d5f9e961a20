// The fast lane on single packets, one burst each: what it takes and forwards (headers
// rewritten, flow advanced), what it leaves to the pipeline (and what the pipeline then
// does), that one packet it cannot parse sends its whole burst through the pipeline, and
// that one which fails a check sends itself and the rest of its burst.
// tests/dataplane/fast_lane_equivalence_test.cc compares the lane with the pipeline on
// random streams.

#include <gtest/gtest.h>

#include "tests/dataplane/fast_lane_frames.h"

namespace isogate::dataplane::test {
namespace {

class FastLaneTest : public ::testing::Test {
 protected:
  FastLaneTest() : h_(kTestPolicy, configWithLane(true)) {
    h_.learnHosts({"10.20.5.5", "172.16.30.10", "203.0.113.1"});
  }
  uint64_t lane() { return h_.dp().worker(0).fastLaneBursts(); }
  const FlowEntry* flow(uint8_t proto, const char* a, const char* b, uint16_t pa, uint16_t pb) {
    FlowKey key;
    bool lo;
    makeFlowKey(false, proto, policy::parseAddress(a)->value, policy::parseAddress(b)->value, pa,
                pb, &key, &lo);
    FlowTable& t = h_.dp().worker(0).context().flows;
    const int32_t p = t.lookup(key);
    return p < 0 ? nullptr : &t.entry(p);
  }
  // A DNS exchange 10.20.5.5:5353 <-> 203.0.113.1:53 (ext-dns): the query opens the flow.
  void openDns() {
    ASSERT_TRUE(h_.send(kExt, Pkt::udp("10.20.5.5", "203.0.113.1", 5353, 53).frame()).forwarded());
    ASSERT_TRUE(h_.send(kInet, Pkt::udp("203.0.113.1", "10.20.5.5", 53, 5353).frame()).forwarded());
  }
  // An ssh connection 10.20.5.5:40000 -> 172.16.30.10:22 (admin-portal), handshake done.
  void openSsh() {
    ASSERT_TRUE(
        h_.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 22, kSyn).frame()).forwarded());
    ASSERT_TRUE(
        h_.send(kPortal, Pkt::tcp("172.16.30.10", "10.20.5.5", 22, 40000, kSyn | kAck).frame())
            .forwarded());
    ASSERT_TRUE(
        h_.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 22, kAck).frame()).forwarded());
  }
  Harness h_;
};

TEST_F(FastLaneTest, AnEstablishedUdpFlowsPacketIsForwardedByTheLaneWithItsHeaderRewritten) {
  openDns();
  if (HasFatalFailure()) return;
  const uint64_t before = lane();
  const CounterTotals t0 = h_.dp().totals();
  const Bytes in = Pkt::udp("10.20.5.5", "203.0.113.1", 5353, 53).ttl(17).payload(100).frame();
  const Outcome o = h_.send(kExt, in);
  ASSERT_TRUE(o.forwarded()) << dropReasonName(o.reason);
  EXPECT_EQ(o.port, kInet);
  EXPECT_EQ(lane(), before + 1);
  // The same datagram with TTL 16 and its checksum computed from scratch, from port 2's MAC to
  // the next hop's.
  const Bytes expected = Pkt::udp("10.20.5.5", "203.0.113.1", 5353, 53)
                             .ttl(16)
                             .payload(100)
                             .srcMac(kInetGwMac.data())
                             .dstMac(kHostMac)
                             .frame();
  EXPECT_EQ(hex(o.frame), hex(expected));
  ASSERT_EQ(o.frame.size(), in.size());
  EXPECT_EQ(o.frame[14 + 8], 16);
  EXPECT_EQ(wire::checksum(o.frame.data() + 14, 20), 0)
      << "the IPv4 header checksum does not verify";
  EXPECT_TRUE(std::equal(o.frame.begin(), o.frame.begin() + 6, kHostMac));
  EXPECT_TRUE(std::equal(o.frame.begin() + 6, o.frame.begin() + 12, kInetGwMac.begin()));
  const CounterTotals t1 = h_.dp().totals();
  EXPECT_EQ(t1.forwarded, t0.forwarded + 1);
  EXPECT_EQ(t1.tx, t0.tx + 1);
  EXPECT_EQ(t1.flowsCreated, t0.flowsCreated);
  EXPECT_TRUE(o.records.empty());
}

TEST_F(FastLaneTest, ThePacketOnAnotherPortIsDroppedAsSpoofedAndLeavesTheFlowAlone) {
  openDns();
  if (HasFatalFailure()) return;
  const FlowEntry* e = flow(17, "10.20.5.5", "203.0.113.1", 5353, 53);
  ASSERT_NE(e, nullptr);
  const uint64_t expires = e->expires;
  h_.advanceSeconds(5);
  const uint64_t before = lane();
  const Bytes in = Pkt::udp("10.20.5.5", "203.0.113.1", 5353, 53).payload(100).frame();
  for (uint16_t port : {kPortal, kInet}) {
    const Outcome o = h_.send(port, in);
    EXPECT_EQ(o.reason, DropReason::SpoofedSource)
        << "port " << port << ": " << dropReasonName(o.reason);
    EXPECT_EQ(o.port, -1);
    ASSERT_EQ(o.records.size(), 1u);
    EXPECT_EQ(o.records[0].reason, static_cast<uint8_t>(DropReason::SpoofedSource));
    EXPECT_EQ(o.records[0].ingressPort, port);
  }
  EXPECT_EQ(lane(), before);
  EXPECT_EQ(e->expires, expires) << "a dropped packet refreshed the flow";
  // The right port still works, through the lane, and refreshes it.
  EXPECT_TRUE(h_.send(kExt, in).forwarded());
  EXPECT_EQ(lane(), before + 1);
  EXPECT_GT(e->expires, expires);
}

TEST_F(FastLaneTest, ARstOfAnEstablishedFlowGoesThroughThePipelineAndClosesIt) {
  openSsh();
  if (HasFatalFailure()) return;
  uint64_t before = lane();
  const Outcome data = h_.send(
      kPortal, Pkt::tcp("172.16.30.10", "10.20.5.5", 22, 40000, kAck | kPsh).payload(64).frame());
  ASSERT_TRUE(data.forwarded());
  EXPECT_EQ(data.port, kExt);
  EXPECT_EQ(lane(), before + 1) << "an established flow's data packet should take the lane";
  const FlowEntry* e = flow(6, "10.20.5.5", "172.16.30.10", 40000, 22);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->tcp, TcpState::Established);

  before = lane();
  const Outcome rst =
      h_.send(kPortal, Pkt::tcp("172.16.30.10", "10.20.5.5", 22, 40000, kRst | kAck).frame());
  EXPECT_TRUE(rst.forwarded());
  EXPECT_EQ(rst.port, kExt);
  EXPECT_EQ(lane(), before) << "a RST is the pipeline's";
  EXPECT_EQ(e->tcp, TcpState::Closed);
  EXPECT_EQ(e->expires, h_.now() + 10 * h_.dp().worker(0).context().hz);  // tcpClosed
  // Once the closed flow has timed out, a data packet opens nothing.
  h_.advanceSeconds(11);
  const Outcome late =
      h_.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 22, kAck).frame());
  EXPECT_EQ(late.reason, DropReason::TcpInvalid);
  EXPECT_EQ(flow(6, "10.20.5.5", "172.16.30.10", 40000, 22), nullptr);
  EXPECT_EQ(lane(), before);
}

// Packet by packet, one burst each: what the lane takes and what it leaves to the pipeline, and
// what the pipeline then does with it.
TEST_F(FastLaneTest, EachPacketIsTakenOrRefusedByTheLaneAsItMustBe) {
  openDns();
  openSsh();
  if (HasFatalFailure()) return;
  ASSERT_TRUE(h_.send(kExt, Pkt::udp("10.20.5.5", "203.0.113.1", 65482, 53).frame()).forwarded());
  auto udp = [] { return Pkt::udp("10.20.5.5", "203.0.113.1", 5353, 53).payload(20); };
  auto tcp = [](uint8_t flags) {
    return Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 22, flags).payload(20);
  };
  auto edit = [](Bytes f, const std::function<void(Bytes&)>& change) {
    change(f);
    return f;
  };
  struct Case {
    const char* what;
    uint16_t port;
    Bytes frame;
    bool lane;          // the lane must take it
    DropReason reason;  // None: forwarded
  };
  const Case cases[] = {
      {"udp data", kExt, udp().frame(), true, DropReason::None},
      {"tcp ACK+URG", kExt, tcp(kAck | kUrg).frame(), true, DropReason::None},
      {"tcp URG only", kExt, tcp(kUrg).frame(), true, DropReason::None},
      {"DF", kExt, edit(udp().frame(), [](Bytes& f) { setFragFlags(f, 0x40); }), true,
       DropReason::None},
      {"tcp options", kExt, edit(tcp(kAck).frame(), addTcpOptions), true, DropReason::None},
      {"ethernet padding", kExt,
       edit(Pkt::udp("10.20.5.5", "203.0.113.1", 5353, 53).frame(),
            [](Bytes& f) { f.resize(60, 0); }),
       true, DropReason::None},
      // An IPv4 packet of the flow in all but its Ethernet type: the lane must read that too.
      {"another Ethernet type", kExt,
       edit(udp().frame(), [](Bytes& f) { wire::wr16(f.data() + 12, 0x88b5); }), false,
       DropReason::UnsupportedL2},
      {"ttl 1", kExt, udp().ttl(1).frame(), false, DropReason::TtlExpired},
      {"ttl 0", kExt, tcp(kAck).ttl(0).frame(), false, DropReason::TtlExpired},
      {"bad header checksum", kExt, edit(udp().frame(), [](Bytes& f) { f[14 + 11] ^= 1; }), false,
       DropReason::Malformed},
      {"ip options", kExt, udp().ipOptions({1, 1, 1, 0}).frame(), false, DropReason::None},
      // Options that read as another flow's ports (65482, 53) where a 20-byte header's transport
      // header would be, and sum to nothing (0xffca + 0x0035): without its options check the lane
      // would take it for that flow. The pipeline finds them malformed (length 0xca).
      {"ip options that look like a flow's ports", kExt,
       Pkt::udp("10.20.5.5", "203.0.113.1", 20, 53)
           .payload(20)
           .ipOptions({0xff, 0xca, 0x00, 0x35})
           .frame(),
       false, DropReason::Malformed},
      {"vlan tag", kExt, udp().vlan(12).frame(), false, DropReason::None},
      {"first fragment", kExt, udp().payload(48).frag(0, true, 77).frame(), false,
       DropReason::None},
      {"later fragment", kExt,
       Pkt::udp("10.20.5.5", "203.0.113.1", 1, 1).payload(16).frag(7, false, 77).frame(), false,
       DropReason::None},
      {"reserved flag", kExt, edit(udp().frame(), [](Bytes& f) { setFragFlags(f, 0x80); }), false,
       DropReason::Malformed},
      {"udp length beyond the datagram", kExt,
       edit(udp().frame(), [](Bytes& f) { wire::wr16(f.data() + 34 + 4, 8 + 20 + 1); }), false,
       DropReason::Malformed},
      {"tcp without flags", kExt, tcp(0).frame(), false, DropReason::Malformed},
      {"tcp SYN+FIN", kExt, tcp(kSyn | kFin).frame(), false, DropReason::Malformed},
      {"tcp SYN of an open flow", kExt, tcp(kSyn).frame(), false, DropReason::None},
      {"udp from the wrong port", kPortal, udp().frame(), false, DropReason::SpoofedSource},
      {"tcp from the wrong port", kInet, tcp(kAck).frame(), false, DropReason::SpoofedSource},
      {"tcp FIN", kExt, tcp(kFin | kAck).frame(), false, DropReason::None},
      {"tcp data of a closing flow", kExt, tcp(kAck).frame(), true, DropReason::None},
      {"tcp RST", kPortal, Pkt::tcp("172.16.30.10", "10.20.5.5", 22, 40000, kRst).frame(), false,
       DropReason::None},
      {"tcp data of a reset flow", kExt, tcp(kAck).frame(), true, DropReason::None},
  };
  for (const Case& c : cases) {
    const uint64_t before = lane();
    const Outcome o = h_.send(c.port, c.frame);
    EXPECT_EQ(lane(), before + (c.lane ? 1 : 0))
        << c.what << (c.lane ? ": not taken by the lane" : ": taken by the lane");
    EXPECT_EQ(o.reason, c.reason) << c.what << ": " << dropReasonName(o.reason);
    EXPECT_EQ(o.port >= 0, c.reason == DropReason::None) << c.what;
  }
}

TEST_F(FastLaneTest, TtlTwoTakesTheLaneAndTtlOneIsThePipelinesDrop) {
  openDns();
  if (HasFatalFailure()) return;
  const uint64_t before = lane();
  const Outcome two = h_.send(kExt, Pkt::udp("10.20.5.5", "203.0.113.1", 5353, 53).ttl(2).frame());
  ASSERT_TRUE(two.forwarded());
  EXPECT_EQ(two.frame[14 + 8], 1);
  EXPECT_EQ(lane(), before + 1);
  const Outcome one = h_.send(kExt, Pkt::udp("10.20.5.5", "203.0.113.1", 5353, 53).ttl(1).frame());
  EXPECT_EQ(one.reason, DropReason::TtlExpired);
  EXPECT_EQ(one.port, -1);
  EXPECT_EQ(lane(), before + 1);
}

TEST_F(FastLaneTest, OnePacketTheLaneRefusesSendsTheWholeBurstThroughThePipeline) {
  openDns();
  if (HasFatalFailure()) return;
  std::vector<Bytes> burst(31, Pkt::udp("10.20.5.5", "203.0.113.1", 5353, 53).payload(10).frame());
  burst.push_back(Pkt::udp("10.20.5.5", "203.0.113.1", 5353, 53).vlan(7).payload(10).frame());
  uint64_t before = lane();
  TxBuffer tx;
  h_.sendBurst(kExt, burst, tx);
  EXPECT_EQ(tx.port[kInet].count, 32);  // the tagged one leaves untagged
  for (uint16_t i = 0; i < tx.port[kInet].count; ++i) {
    EXPECT_EQ(fromMbuf(tx.port[kInet].pkts[i]).size(), burst[0].size()) << i;
  }
  tx.freeAll();
  EXPECT_EQ(lane(), before);
  burst.back() = burst.front();
  h_.sendBurst(kExt, burst, tx);
  EXPECT_EQ(tx.port[kInet].count, 32);
  tx.freeAll();
  EXPECT_EQ(lane(), before + 1);
}

TEST_F(FastLaneTest, APacketThatFailsACheckLeavesItAndTheRestOfItsBurstToThePipeline) {
  openDns();
  if (HasFatalFailure()) return;
  // 10 packets of the open flow, the first packet of a new one (no flow yet: the lane's lookup
  // fails), 21 more of the open flow.
  const Bytes known = Pkt::udp("10.20.5.5", "203.0.113.1", 5353, 53).payload(10).frame();
  const Bytes fresh = Pkt::udp("10.20.5.5", "203.0.113.1", 5354, 53).payload(12).frame();
  std::vector<Bytes> burst(32, known);
  burst[10] = fresh;
  ASSERT_EQ(flow(17, "10.20.5.5", "203.0.113.1", 5354, 53), nullptr);
  const uint64_t bursts = lane(), packets = h_.dp().worker(0).fastLanePackets();
  const CounterTotals t0 = h_.dp().totals();
  TxBuffer tx;
  h_.sendBurst(kExt, burst, tx);
  // All 32 leave in their order; the lane took the 10 before the new flow's packet.
  ASSERT_EQ(tx.port[kInet].count, 32);
  for (uint16_t i = 0; i < 32; ++i) {
    EXPECT_EQ(fromMbuf(tx.port[kInet].pkts[i]).size(), burst[i].size()) << i;
  }
  tx.freeAll();
  EXPECT_EQ(h_.dp().worker(0).fastLanePackets(), packets + 10);
  EXPECT_EQ(lane(), bursts);  // not a whole burst
  // The pipeline created the new flow; every packet was counted once.
  EXPECT_NE(flow(17, "10.20.5.5", "203.0.113.1", 5354, 53), nullptr);
  const CounterTotals t1 = h_.dp().totals();
  EXPECT_EQ(t1.forwarded, t0.forwarded + 32);
  EXPECT_EQ(t1.tx, t0.tx + 32);
  EXPECT_EQ(t1.flowsCreated, t0.flowsCreated + 1);
}

TEST_F(FastLaneTest, AStaleNeighbourSendsTheFlowsPacketToThePipelineWhichAsksForIt) {
  openSsh();
  if (HasFatalFailure()) return;
  h_.advanceSeconds(1300);  // neighbours are forgotten after 1200 s; the flow lives 7200 s
  const uint64_t before = lane();
  const Outcome o = h_.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 22, kAck).frame());
  EXPECT_EQ(lane(), before);
  EXPECT_EQ(o.reason, DropReason::None);
  ASSERT_EQ(o.port, kPortal);  // an ARP request for 172.16.30.10 in its place; the packet waits
  EXPECT_EQ(wire::rd16(o.frame.data() + 12), wire::kEtherArp);
  EXPECT_EQ(h_.dp().worker(0).context().held.count, 1);
}

}  // namespace
}  // namespace isogate::dataplane::test
