// The parser on every header kind: what it extracts from good frames, and that
// every truncation and inconsistency is rejected as malformed (never a crash,
// never a read past the frame).
#include "dataplane/parse.h"

#include <gtest/gtest.h>

#include "tests/dataplane/harness.h"

namespace isogate::dataplane::test {
namespace {

PacketMeta parse(const Bytes& frame) {
  rte_mbuf* m = toMbuf(frame);
  PacketMeta md;
  parsePacket(m, md);
  rte_pktmbuf_free(m);
  return md;
}

bool malformed(const Bytes& f) {
  const PacketMeta md = parse(f);
  return md.action == Action::Drop && md.reason == DropReason::Malformed;
}

U128 v4(const char* a) { return policy::parseAddress(a)->value; }

TEST(ParseTest, Ipv4Tcp) {
  const PacketMeta md = parse(Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 443, 0x02).frame());
  EXPECT_EQ(md.action, Action::Continue);
  EXPECT_EQ(md.l3, L3Kind::Ipv4);
  EXPECT_EQ(md.l2Len, 14);
  EXPECT_EQ(md.l3Len, 20);
  EXPECT_TRUE(md.src == v4("10.20.5.5"));
  EXPECT_TRUE(md.dst == v4("172.16.30.10"));
  EXPECT_EQ(md.proto, 6);
  EXPECT_EQ(md.sport, 40000);
  EXPECT_EQ(md.dport, 443);
  EXPECT_EQ(md.tcpFlags, 0x02);
  EXPECT_TRUE(md.hasPorts);
  EXPECT_EQ(md.frag, FragKind::None);
}

TEST(ParseTest, Ipv4WithOptionsAndVlans) {
  const Bytes opts{0x01, 0x01, 0x07, 0x07, 0x04, 0, 0, 0, 0, 0, 0};  // NOP NOP record-route(7)
  const PacketMeta md =
      parse(Pkt::udp("10.20.5.5", "8.8.8.8", 5353, 53).ipOptions(opts).vlan(10).vlan(20).frame());
  EXPECT_EQ(md.action, Action::Continue);
  EXPECT_EQ(md.l2Len, 22);
  EXPECT_EQ(md.l3Len, 32);
  EXPECT_EQ(md.dport, 53);
  EXPECT_FALSE(malformed(Pkt::udp("10.20.5.5", "8.8.8.8", 1, 53).vlan(1).vlan(2).frame()));
  EXPECT_TRUE(malformed(Pkt::udp("10.20.5.5", "8.8.8.8", 1, 53).vlan(1).vlan(2).vlan(3).frame()));
}

TEST(ParseTest, Ipv4SourceRouteAndBadOptionsAreRefused) {
  EXPECT_TRUE(malformed(
      Pkt::udp("10.20.5.5", "8.8.8.8", 1, 53).ipOptions({0x83, 3, 4, 0}).frame()));  // LSRR
  EXPECT_TRUE(malformed(
      Pkt::udp("10.20.5.5", "8.8.8.8", 1, 53).ipOptions({0x07, 9, 4, 0}).frame()));  // overruns
}

TEST(ParseTest, Ipv4ChecksumAndLengthConsistency) {
  Bytes f = Pkt::tcp("10.20.5.5", "172.16.30.10", 1, 443).frame();
  Bytes bad = f;
  bad[14 + 10] ^= 0xff;
  EXPECT_TRUE(malformed(bad)) << "header checksum";
  bad = f;
  bad[14 + 3] += 1;   // total length beyond the frame
  bad[14 + 11] -= 1;  // keep the checksum right
  EXPECT_TRUE(malformed(bad));
  bad = f;
  bad[14] = 0x44;  // IHL 16 bytes
  EXPECT_TRUE(malformed(bad));
  bad = f;
  bad[14] = 0x65;  // version 6 in an IPv4 frame
  EXPECT_TRUE(malformed(bad));
  Bytes padded = f;  // Ethernet padding after the datagram is fine
  padded.insert(padded.end(), 6, 0);
  EXPECT_FALSE(malformed(padded));
}

TEST(ParseTest, TcpFlagNonsenseIsMalformed) {
  EXPECT_TRUE(malformed(Pkt::tcp("10.20.5.5", "172.16.30.10", 1, 443, 0x03).frame()));  // SYN+FIN
  EXPECT_TRUE(malformed(Pkt::tcp("10.20.5.5", "172.16.30.10", 1, 443, 0x06).frame()));  // SYN+RST
  EXPECT_TRUE(malformed(Pkt::tcp("10.20.5.5", "172.16.30.10", 1, 443, 0x00).frame()));  // NULL
  EXPECT_FALSE(malformed(Pkt::tcp("10.20.5.5", "172.16.30.10", 1, 443, 0x12).frame()));
}

TEST(ParseTest, IcmpEchoAndErrorQuote) {
  PacketMeta md = parse(Pkt::icmp("10.20.5.5", "172.16.30.10", 8, 99).frame());
  EXPECT_TRUE(md.hasIcmp);
  EXPECT_EQ(md.icmpType, 8);
  EXPECT_EQ(md.sport, 99);
  EXPECT_EQ(md.dport, 99);
  const Pkt inner = Pkt::udp("172.16.30.10", "10.20.5.5", 5000, 53);
  md = parse(Pkt::icmp("10.20.0.9", "172.16.30.10", 3).quote(inner).frame());
  EXPECT_TRUE(md.icmpError);
  EXPECT_EQ(md.innerProto, 17);
  EXPECT_TRUE(md.innerSrc == v4("172.16.30.10"));
  EXPECT_EQ(md.innerSport, 5000);
  EXPECT_EQ(md.innerDport, 53);
  md = parse(Pkt::icmp("fd20::9", "fd30::10", 1)
                 .quote(Pkt::tcp("fd30::10", "fd20::5", 443, 4000))
                 .frame());
  EXPECT_TRUE(md.icmpError);
  EXPECT_EQ(md.innerProto, 6);
  EXPECT_EQ(md.innerDport, 4000);
}

TEST(ParseTest, Ipv6ExtensionChain) {
  const PacketMeta md =
      parse(Pkt::udp("fd20::5", "fd30::10", 1000, 53).ext(0).ext(43).ext(60).ext(51).frame());
  EXPECT_EQ(md.action, Action::Continue);
  EXPECT_EQ(md.l3, L3Kind::Ipv6);
  EXPECT_EQ(md.l3Len, 40 + 8 * 4);
  EXPECT_EQ(md.proto, 17);
  EXPECT_EQ(md.dport, 53);
  EXPECT_TRUE(malformed(Pkt::udp("fd20::5", "fd30::10", 1, 53).ext(60).ext(0).frame()))
      << "HBH not first";
  EXPECT_TRUE(malformed(Pkt::udp("fd20::5", "fd30::10", 1, 53).ext(135).frame()))
      << "mobility header";
  EXPECT_TRUE(malformed(Pkt::udp("fd20::5", "fd30::10", 1, 53).ext(253).frame())) << "experimental";
  PacketMeta esp = parse(Pkt::raw("fd20::5", "fd30::10", 50).payload(16).frame());
  EXPECT_EQ(esp.action, Action::Continue);
  EXPECT_EQ(esp.proto, 50);
}

TEST(ParseTest, Ipv6RoutingType0IsRefused) {
  Bytes f = Pkt::udp("fd20::5", "fd30::10", 1, 53).ext(43).frame();
  f[14 + 40 + 2] = 0;  // routing type 0
  EXPECT_TRUE(malformed(f));
}

TEST(ParseTest, Fragments) {
  PacketMeta md =
      parse(Pkt::udp("10.20.5.5", "172.16.30.10", 1, 53).payload(64).frag(0, true, 77).frame());
  EXPECT_EQ(md.frag, FragKind::First);
  EXPECT_EQ(md.dport, 53);
  EXPECT_EQ(md.fragId, 77u);
  md = parse(Pkt::udp("10.20.5.5", "172.16.30.10", 1, 53).frag(9, false, 77).frame());
  EXPECT_EQ(md.action, Action::Continue);
  EXPECT_EQ(md.frag, FragKind::Later);
  EXPECT_FALSE(md.hasPorts);
  md = parse(
      Pkt::udp("fd20::5", "fd30::10", 1, 53).payload(64).ext(0).frag(0, true, 0x10203).frame());
  EXPECT_EQ(md.frag, FragKind::First);
  EXPECT_EQ(md.fragId, 0x10203u);
  md = parse(Pkt::udp("fd20::5", "fd30::10", 1, 53).frag(3, true, 5).frame());
  EXPECT_EQ(md.frag, FragKind::Later);
  EXPECT_EQ(md.proto, 17);
  // A TCP fragment at offset 8 would overwrite the first fragment's flags.
  EXPECT_TRUE(malformed(Pkt::tcp("10.20.5.5", "172.16.30.10", 1, 443).frag(1, true, 5).frame()));
  md = parse(Pkt::udp("fd20::5", "fd30::10", 1, 53).frag(0, false, 5).frame());  // atomic fragment
  EXPECT_EQ(md.frag, FragKind::None);
  EXPECT_EQ(md.dport, 53);
}

TEST(ParseTest, Arp) {
  const PacketMeta md = parse(arpFrame(1, kHostMac, "10.20.5.5", "10.20.0.1", kGwMac));
  EXPECT_EQ(md.l3, L3Kind::Arp);
  EXPECT_EQ(md.proto, 1);
  EXPECT_TRUE(md.src == v4("10.20.5.5"));
  EXPECT_TRUE(md.dst == v4("10.20.0.1"));
  Bytes bad = arpFrame(3, kHostMac, "10.20.5.5", "10.20.0.1", kGwMac);
  EXPECT_TRUE(malformed(bad));
}

TEST(ParseTest, UnknownEthertypeIsUnsupportedNotMalformed) {
  Bytes f = Pkt::udp("10.20.5.5", "172.16.30.10", 1, 53).frame();
  f[12] = 0x88;
  f[13] = 0xcc;  // LLDP
  const PacketMeta md = parse(f);
  EXPECT_EQ(md.reason, DropReason::UnsupportedL2);
}

// Every prefix of every kind of good frame shorter than its headers is malformed
// (or, for the Ethernet header alone, unsupported), never accepted.
TEST(ParseTest, TruncatedAtEveryLength) {
  const std::vector<Bytes> frames = {
      Pkt::tcp("10.20.5.5", "172.16.30.10", 1, 443).ipOptions({1, 1, 1, 0}).vlan(5).frame(),
      Pkt::udp("10.20.5.5", "172.16.30.10", 1, 53).frame(),
      Pkt::icmp("10.20.5.5", "172.16.30.10", 8).frame(),
      Pkt::tcp("fd20::5", "fd30::10", 1, 443).ext(0).ext(60).frame(),
      Pkt::udp("fd20::5", "fd30::10", 1, 53).ext(43).ext(51).frame(),
      Pkt::icmp("fd20::5", "fd30::10", 128).frame(),
      Pkt::udp("fd20::5", "fd30::10", 1, 53).frag(0, true, 9).frame(),
      arpFrame(1, kHostMac, "10.20.5.5", "10.20.0.1", kGwMac),
  };
  for (size_t k = 0; k < frames.size(); ++k) {
    const Bytes& full = frames[k];
    ASSERT_EQ(parse(full).action, Action::Continue) << "frame " << k;
    const size_t headers = k == 7 ? 42 : full.size();
    for (size_t len = 0; len < headers; ++len) {
      const Bytes cut(full.begin(), full.begin() + len);
      const PacketMeta md = parse(cut);
      EXPECT_EQ(md.action, Action::Drop) << "frame " << k << " cut at " << len;
      EXPECT_EQ(md.reason, DropReason::Malformed) << "frame " << k << " cut at " << len;
    }
  }
}

TEST(ParseTest, ScatteredMbufIsRefused) {
  rte_mbuf* a = toMbuf(Pkt::udp("10.20.5.5", "172.16.30.10", 1, 53).frame());
  rte_mbuf* b = toMbuf(Bytes(10, 0));
  ASSERT_EQ(rte_pktmbuf_chain(a, b), 0);
  PacketMeta md;
  parsePacket(a, md);
  EXPECT_EQ(md.reason, DropReason::Malformed);
  rte_pktmbuf_free(a);
}

}  // namespace
}  // namespace isogate::dataplane::test
