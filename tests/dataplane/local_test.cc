// The gateway as a router hosts can use with no static entries: it answers ARP
// and neighbour solicitations for its own addresses and echo requests to them,
// and resolves unknown next hops itself (ARP request / NS), holding the packet
// until the answer comes.
#include <gtest/gtest.h>

#include "dataplane/local_reply.h"
#include "dataplane/wire.h"
#include "tests/dataplane/harness.h"

namespace isogate::dataplane::test {
namespace {

using namespace wire;

constexpr uint16_t kExt = 0, kPortal = 1, kInet = 2;
const uint8_t kExtMac[6] = {2, 0, 0, 0, 0, 1};
const uint8_t kPortalMac[6] = {2, 0, 0, 0, 0, 2};
const uint8_t kServerMac[6] = {2, 0, 0, 0, 0, 0x30};

TEST(LocalTest, AnswersArpForItsOwnAddressAndLearnsTheAsker) {
  Harness h;
  const Outcome o = h.send(kExt, arpFrame(1, kHostMac, "10.20.5.5", "10.20.0.1", kGwMac));
  ASSERT_EQ(o.port, kExt);
  EXPECT_EQ(h.dp().totals().answered, 1u);
  const Bytes& f = o.frame;
  EXPECT_EQ(std::memcmp(f.data(), kHostMac, 6), 0);
  EXPECT_EQ(std::memcmp(f.data() + 6, kExtMac, 6), 0);
  EXPECT_EQ(rd16(f.data() + 12), kEtherArp);
  EXPECT_EQ(rd16(f.data() + 20), 2);  // reply
  EXPECT_EQ(std::memcmp(f.data() + 22, kExtMac, 6), 0);
  EXPECT_EQ(rd32(f.data() + 28), 0x0a140001u);
  EXPECT_EQ(std::memcmp(f.data() + 32, kHostMac, 6), 0);
  EXPECT_EQ(rd32(f.data() + 38), 0x0a140505u);
  MacAddress mac;
  EXPECT_TRUE(h.dp().neighbours().lookup(false, 0x0a140505u, h.now(), ~0ull, &mac));
  // Not for us, or asked on the wrong port: no answer.
  EXPECT_EQ(h.send(kExt, arpFrame(1, kHostMac, "10.20.5.5", "10.20.7.7", kGwMac)).port, -1);
  EXPECT_EQ(h.send(kPortal, arpFrame(1, kHostMac, "172.16.30.9", "10.20.0.1", kGwMac)).port, -1);
  // A sender outside the port's networks is not learned.
  h.send(kExt, arpFrame(1, kHostMac, "172.16.30.99", "10.20.0.1", kGwMac));
  EXPECT_FALSE(h.dp().neighbours().lookup(false, 0xac101e63u, h.now(), ~0ull, &mac));
}

TEST(LocalTest, AnswersNeighbourSolicitation) {
  Harness h;
  const Outcome o = h.send(kExt, neighbourSolicit("fd20::5", "fd20::1", kHostMac));
  ASSERT_EQ(o.port, kExt);
  const Bytes& f = o.frame;
  ASSERT_EQ(f.size(), 14u + 40 + 32);
  EXPECT_EQ(std::memcmp(f.data(), kHostMac, 6), 0);
  const uint8_t* ip = f.data() + 14;
  EXPECT_EQ(ip[6], 58);
  EXPECT_EQ(ip[7], 255);
  EXPECT_TRUE(rd128(ip + 8) == policy::parseAddress("fd20::1")->value);
  EXPECT_TRUE(rd128(ip + 24) == policy::parseAddress("fd20::5")->value);
  const uint8_t* icmp = ip + 40;
  EXPECT_EQ(icmp[0], 136);
  EXPECT_EQ(icmp[4] & 0x60, 0x60);  // solicited + override
  EXPECT_EQ(icmp[24], 2);
  EXPECT_EQ(std::memcmp(icmp + 26, kExtMac, 6), 0);
  EXPECT_EQ(icmpv6Checksum(rd128(ip + 8), rd128(ip + 24), icmp, 32), 0)
      << "checksum verifies to zero";
  MacAddress mac;
  EXPECT_TRUE(h.dp().neighbours().lookup(true, policy::parseAddress("fd20::5")->value, h.now(),
                                         ~0ull, &mac));
  // Hop limit other than 255 is refused.
  Bytes offLink = neighbourSolicit("fd20::5", "fd20::1", kHostMac);
  offLink[14 + 7] = 64;
  EXPECT_EQ(h.send(kExt, offLink).reason, DropReason::Malformed);
}

TEST(LocalTest, AnswersEchoRequestsToItsOwnAddresses) {
  Harness h;
  const Outcome o = h.send(kExt, Pkt::icmp("10.20.5.5", "10.20.0.1", 8, 77).frame());
  ASSERT_EQ(o.port, kExt);
  const uint8_t* ip = o.frame.data() + 14;
  EXPECT_EQ(rd32(ip + 12), 0x0a140001u);
  EXPECT_EQ(rd32(ip + 16), 0x0a140505u);
  EXPECT_EQ(fold(sum16(ip, 20)), 0xffff);
  EXPECT_EQ(ip[20], 0);  // echo reply
  EXPECT_EQ(fold(sum16(ip + 20, o.frame.size() - 34)), 0xffff);
  const Outcome v6 = h.send(kExt, Pkt::icmp("fd20::5", "fd20::1", 128, 5).frame());
  ASSERT_EQ(v6.port, kExt);
  const uint8_t* ip6 = v6.frame.data() + 14;
  EXPECT_EQ(ip6[40], 129);
  EXPECT_EQ(icmpv6Checksum(rd128(ip6 + 8), rd128(ip6 + 24), ip6 + 40, rd16(ip6 + 4)), 0);
  // Other traffic to the gateway is not forwarded anywhere.
  EXPECT_EQ(h.send(kExt, Pkt::tcp("10.20.5.5", "10.20.0.1", 1, 22).frame()).reason,
            DropReason::ToGateway);
  // The gateway answers only on the port of the address asked; other zones see nothing.
  EXPECT_EQ(h.send(kExt, Pkt::icmp("10.20.5.5", "203.0.113.2", 8).frame()).reason,
            DropReason::ToGateway);
  EXPECT_EQ(h.send(kExt, Pkt::icmp("fd20::5", "fd10::1", 128).frame()).reason,
            DropReason::PhysicalIsolation);
}

TEST(LocalTest, ResolvesAnUnknownNextHopThenForwards) {
  Harness h;
  const Bytes syn = Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 443).frame();
  const Outcome first = h.send(kExt, syn);
  EXPECT_EQ(first.reason, DropReason::None) << "held, not dropped";
  ASSERT_EQ(first.port, kPortal) << "an ARP request goes out on the egress port";
  const Bytes& req = first.frame;
  EXPECT_EQ(rd16(req.data() + 12), kEtherArp);
  EXPECT_EQ(rd16(req.data() + 20), 1);
  EXPECT_EQ(std::memcmp(req.data() + 22, kPortalMac, 6), 0);
  EXPECT_EQ(rd32(req.data() + 28), 0xac101e01u);  // from 172.16.30.1
  EXPECT_EQ(rd32(req.data() + 38), 0xac101e0au);  // who has 172.16.30.10
  // A second packet within the retry interval is held without another request.
  const Outcome second = h.send(kExt, Pkt::tcp("10.20.5.5", "172.16.30.10", 40001, 443).frame());
  EXPECT_EQ(second.reason, DropReason::None);
  EXPECT_EQ(second.port, -1);
  EXPECT_EQ(h.dp().worker(0).context().held.count, 2u);
  // The server answers: both held packets leave, in order, with the server's MAC.
  TxBuffer tx;
  h.sendBurst(kPortal, {arpFrame(2, kServerMac, "172.16.30.10", "172.16.30.1", kPortalMac)}, tx);
  ASSERT_EQ(tx.port[kPortal].count, 2);
  const Bytes a = fromMbuf(tx.port[kPortal].pkts[0]), b = fromMbuf(tx.port[kPortal].pkts[1]);
  tx.freeAll();
  EXPECT_EQ(std::memcmp(a.data(), kServerMac, 6), 0);
  EXPECT_EQ(std::memcmp(a.data() + 6, kPortalMac, 6), 0);
  EXPECT_EQ(rd16(a.data() + 34), 40000);
  EXPECT_EQ(rd16(b.data() + 34), 40001);
  EXPECT_EQ(h.dp().worker(0).context().held.count, 0u);
  EXPECT_EQ(h.drops(DropReason::NeighbourUnresolved), 0u);
  const Outcome third = h.send(kExt, syn);
  ASSERT_TRUE(third.forwarded()) << dropReasonName(third.reason);
  EXPECT_EQ(std::memcmp(third.frame.data(), kServerMac, 6), 0);
}

TEST(LocalTest, ResolvesIpv6NextHopsWithNeighbourSolicitation) {
  Harness h;
  const Outcome first = h.send(kExt, Pkt::tcp("fd20::5", "fd30::10", 40000, 22).frame());
  EXPECT_EQ(first.reason, DropReason::None) << "held, not dropped";
  ASSERT_EQ(first.port, kPortal);
  const uint8_t* ip = first.frame.data() + 14;
  EXPECT_EQ(first.frame[0], 0x33);
  EXPECT_EQ(ip[40], 135);
  EXPECT_TRUE(rd128(ip + 48) == policy::parseAddress("fd30::10")->value);
  EXPECT_TRUE(rd128(ip + 24) == policy::parseAddress("ff02::1:ff00:10")->value);
  EXPECT_EQ(icmpv6Checksum(rd128(ip + 8), rd128(ip + 24), ip + 40, 32), 0);
  Bytes na = neighbourAdvert("fd30::10", "fd30::10", kServerMac);
  const Outcome released = h.send(kPortal, na);
  ASSERT_EQ(released.port, kPortal) << "the held packet leaves once the NA is learned";
  EXPECT_EQ(std::memcmp(released.frame.data(), kServerMac, 6), 0);
  h.advanceSeconds(2);
  const Outcome o = h.send(kExt, Pkt::tcp("fd20::5", "fd30::10", 40000, 22).frame());
  ASSERT_TRUE(o.forwarded()) << dropReasonName(o.reason);
  EXPECT_EQ(std::memcmp(o.frame.data(), kServerMac, 6), 0);
}

TEST(LocalTest, RoutesViaTheConfiguredGateway) {
  Harness h;
  h.learnHosts({"203.0.113.1", "2001:db8:1::1"});
  const Outcome o = h.send(kExt, Pkt::udp("10.20.5.5", "192.0.2.44", 5000, 53).frame());
  ASSERT_TRUE(o.forwarded()) << dropReasonName(o.reason);
  EXPECT_EQ(o.port, kInet);
  const Outcome v6 = h.send(kExt, Pkt::udp("fd20::5", "2001:db8:99::1", 5000, 53).frame());
  ASSERT_TRUE(v6.forwarded()) << dropReasonName(v6.reason);
  EXPECT_EQ(v6.port, kInet);
}

TEST(LocalTest, RejectsARouteWhoseGatewayIsNotConnected) {
  DataplaneConfig c = testConfig();
  c.routes.push_back({*policy::parsePrefix("192.0.2.0/24"), *policy::parseAddress("198.18.0.1")});
  std::string error;
  EXPECT_EQ(Dataplane::create(c, &error), nullptr);
  EXPECT_EQ(error,
            "route 192.0.2.0/24: via 198.18.0.1 is in no connected network of a forwarding port");
}

}  // namespace
}  // namespace isogate::dataplane::test
