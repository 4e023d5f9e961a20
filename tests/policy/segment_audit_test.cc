#include "policy/segment_audit.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <filesystem>
#include <random>
#include <vector>

#include "policy/pipeline.h"
#include "tests/policy/policy_fixture.h"

namespace isogate::policy {
namespace {

const std::string kPolicy = testing::policyText(
    {"version: 1\nname: audit-test\nzones:\n", testing::kIntranetZone, testing::kExtranetZone,
     testing::kPortalZone, testing::kInternetZone, testing::exampleIsolation(), R"(services:
  https: {tcp: [443]}
rules:
  - name: browse
    from: internet
    to: portal
    services: [https]
    action: allow
  - name: publish
    from: extranet
    to: portal
    services: [https]
    action: allow
)",
     testing::kExtranetOutRule});

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

void putAddr(Bytes& b, const char* text) {
  const IpAddress a = *parseAddress(text);
  const int n = a.family == Family::V4 ? 4 : 16;
  for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<uint8_t>(a.value >> (8 * i)));
}

Bytes l4Ports(uint16_t sport, uint16_t dport) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  b.resize(20, 0);  // rest of a TCP header
  return b;
}

Bytes ipv4(const char* src, const char* dst, uint8_t proto, const Bytes& payload) {
  Bytes b = {0x45, 0};
  put16(b, static_cast<uint16_t>(20 + payload.size()));
  put16(b, 1);
  put16(b, 0);
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);
  putAddr(b, src);
  putAddr(b, dst);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes ipv6(const char* src, const char* dst, uint8_t next, const Bytes& payload) {
  Bytes b = {0x60, 0, 0, 0};
  put16(b, static_cast<uint16_t>(payload.size()));
  b.push_back(next);
  b.push_back(64);
  putAddr(b, src);
  putAddr(b, dst);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes arp(const char* sender, const char* target) {
  Bytes b;
  put16(b, 1);       // ethernet
  put16(b, 0x0800);  // IPv4
  b.push_back(6);
  b.push_back(4);
  put16(b, 1);  // request
  for (int i = 0; i < 6; ++i) b.push_back(0x02);
  putAddr(b, sender);
  for (int i = 0; i < 6; ++i) b.push_back(0);
  putAddr(b, target);
  return b;
}

Bytes ether(uint16_t type, const Bytes& payload,
            const std::vector<std::pair<uint16_t, uint16_t>>& tags = {}) {
  Bytes b(12, 0xaa);
  for (const auto& [tpid, vid] : tags) {
    put16(b, tpid);
    put16(b, vid);
  }
  put16(b, type);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

class SegmentAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    build_ = buildPolicyText(kPolicy, "audit.yaml");
    ASSERT_TRUE(build_.ok());
  }
  SegmentAuditor auditorFor(const char* zone) const {
    return SegmentAuditor(*build_.compiled, static_cast<uint16_t>(build_.compiled->findZone(zone)));
  }
  int zone(const char* name) const { return build_.compiled->findZone(name); }
  PolicyBuild build_;
};

TEST_F(SegmentAuditTest, CleanIntranetTrafficIsNoFinding) {
  const auto a = auditorFor("intranet");
  const Bytes f = ether(0x0800, ipv4("10.10.1.5", "10.10.2.7", 6, l4Ports(40000, 445)));
  const auto r = a.inspectLink(kLinkEthernet, f.data(), f.size());
  EXPECT_EQ(r.status, FrameStatus::Clean);
  EXPECT_FALSE(r.finding);
}

TEST_F(SegmentAuditTest, ExtranetSourceOnIntranetSegmentIsBreach) {
  const auto a = auditorFor("intranet");
  const Bytes f = ether(0x0800, ipv4("10.20.1.9", "10.10.1.5", 6, l4Ports(40000, 445)));
  const auto finding = a.inspect(f.data(), f.size());
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->kind, "ipv4");
  EXPECT_EQ(toString(finding->src), "10.20.1.9");
  EXPECT_EQ(finding->srcZone, zone("extranet"));
  EXPECT_EQ(finding->dstZone, zone("intranet"));
  EXPECT_EQ(finding->breachZone, zone("extranet"));
  EXPECT_TRUE(finding->breachBySource);
  EXPECT_EQ(finding->protocol, 6);
  EXPECT_EQ(finding->sport, 40000);
  EXPECT_EQ(finding->dport, 445);
}

TEST_F(SegmentAuditTest, InternetDestinationIsBreachByDestination) {
  const auto a = auditorFor("intranet");
  const Bytes f = ether(0x0800, ipv4("10.10.1.5", "8.8.8.8", 17, l4Ports(5353, 53)));
  const auto finding = a.inspect(f.data(), f.size());
  ASSERT_TRUE(finding);
  EXPECT_FALSE(finding->breachBySource);
  EXPECT_EQ(finding->breachZone, zone("internet"));
}

TEST_F(SegmentAuditTest, Ipv6BreachAndIcmpType) {
  const auto a = auditorFor("intranet");
  const Bytes f = ether(0x86dd, ipv6("fd10::5", "fd20::9", 58, Bytes{128, 0, 0, 0, 0, 0, 0, 0}));
  const auto finding = a.inspect(f.data(), f.size());
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->kind, "ipv6");
  EXPECT_EQ(finding->breachZone, zone("extranet"));
  EXPECT_EQ(finding->icmpType, 128);
}

TEST_F(SegmentAuditTest, Ipv6ExtensionHeadersAreWalkedForPorts) {
  const auto a = auditorFor("intranet");
  Bytes hopByHop = {6, 0, 0, 0, 0, 0, 0, 0};  // next: tcp, 8 bytes
  const Bytes tcp = l4Ports(1234, 22);
  hopByHop.insert(hopByHop.end(), tcp.begin(), tcp.end());
  const Bytes f = ether(0x86dd, ipv6("fd20::9", "fd10::5", 0, hopByHop));
  const auto finding = a.inspect(f.data(), f.size());
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->protocol, 6);
  EXPECT_EQ(finding->dport, 22);
}

TEST_F(SegmentAuditTest, VlanAndQinQTagsAreRecorded) {
  const auto a = auditorFor("intranet");
  const Bytes f = ether(0x0800, ipv4("10.10.1.5", "172.16.30.10", 6, l4Ports(40000, 443)),
                        {{0x88a8, 200}, {0x8100, 100}});
  const auto finding = a.inspect(f.data(), f.size());
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->vlans, (std::vector<uint16_t>{200, 100}));
  EXPECT_EQ(finding->breachZone, zone("portal"));
}

TEST_F(SegmentAuditTest, ArpSenderAndTargetCount) {
  const auto a = auditorFor("intranet");
  const Bytes bySender = ether(0x0806, arp("10.20.0.1", "10.10.0.1"));
  auto finding = a.inspect(bySender.data(), bySender.size());
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->kind, "arp");
  EXPECT_TRUE(finding->breachBySource);
  const Bytes byTarget = ether(0x0806, arp("10.10.0.7", "172.16.30.1"));
  finding = a.inspect(byTarget.data(), byTarget.size());
  ASSERT_TRUE(finding);
  EXPECT_FALSE(finding->breachBySource);
  EXPECT_EQ(finding->breachZone, zone("portal"));
}

TEST_F(SegmentAuditTest, SegmentLocalAddressesProveNothing) {
  const auto a = auditorFor("intranet");
  const std::vector<Bytes> frames = {
      ether(0x0806, arp("0.0.0.0", "10.10.0.9")),                                // ARP probe
      ether(0x0800, ipv4("0.0.0.0", "255.255.255.255", 17, l4Ports(68, 67))),    // DHCP discover
      ether(0x0800, ipv4("10.10.1.5", "224.0.0.251", 17, l4Ports(5353, 5353))),  // mDNS
      ether(0x0800, ipv4("169.254.3.4", "10.10.1.1", 6, l4Ports(1, 2))),         // link-local
      ether(0x86dd,
            ipv6("fe80::1", "ff02::1", 58, Bytes{134, 0, 0, 0, 0, 0, 0, 0})),  // router advert
      ether(0x86dd, ipv6("::", "ff02::1:ff00:1", 58, Bytes{135, 0, 0, 0})),    // DAD
  };
  for (const auto& f : frames) {
    const auto r = a.inspectLink(kLinkEthernet, f.data(), f.size());
    EXPECT_EQ(r.status, FrameStatus::Clean);
  }
}

TEST_F(SegmentAuditTest, LogicalPeersAreNotBreaches) {
  const auto a = auditorFor("extranet");
  const Bytes f = ether(0x0800, ipv4("10.20.1.9", "172.16.30.10", 6, l4Ports(40000, 443)));
  EXPECT_FALSE(a.inspect(f.data(), f.size()));
  const Bytes g = ether(0x0800, ipv4("10.10.1.5", "10.20.1.9", 6, l4Ports(40000, 443)));
  const auto finding = a.inspect(g.data(), g.size());
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->breachZone, zone("intranet"));
}

TEST_F(SegmentAuditTest, TunnelledInnerAddressesCount) {
  const auto a = auditorFor("intranet");
  const Bytes inner = ipv4("10.20.1.9", "10.10.1.5", 6, l4Ports(40000, 22));
  const Bytes f = ether(0x0800, ipv4("10.10.1.1", "10.10.1.2", 4, inner));
  const auto finding = a.inspect(f.data(), f.size());
  ASSERT_TRUE(finding);
  EXPECT_EQ(finding->tunnelDepth, 1);
  EXPECT_EQ(toString(finding->src), "10.20.1.9");
}

TEST_F(SegmentAuditTest, OtherLinkTypes) {
  const auto a = auditorFor("intranet");
  const Bytes ip = ipv4("10.20.1.9", "10.10.1.5", 6, l4Ports(40000, 22));
  EXPECT_EQ(a.inspectLink(kLinkRaw, ip.data(), ip.size()).status, FrameStatus::Breach);
  EXPECT_EQ(a.inspectLink(kLinkIpv4, ip.data(), ip.size()).status, FrameStatus::Breach);
  Bytes sll(14, 0);
  put16(sll, 0x0800);
  sll.insert(sll.end(), ip.begin(), ip.end());
  EXPECT_EQ(a.inspectLink(kLinkLinuxSll, sll.data(), sll.size()).status, FrameStatus::Breach);
  Bytes loop = {0, 0, 0, 2};
  loop.insert(loop.end(), ip.begin(), ip.end());
  EXPECT_EQ(a.inspectLink(kLinkLoop, loop.data(), loop.size()).status, FrameStatus::Breach);
  EXPECT_EQ(a.inspectLink(9999, ip.data(), ip.size()).status, FrameStatus::Malformed);
  EXPECT_FALSE(segmentLinkTypeSupported(9999));
}

TEST_F(SegmentAuditTest, NonIpAndMalformed) {
  const auto a = auditorFor("intranet");
  const Bytes stp = ether(0x0026, Bytes(38, 0));  // 802.3 length field: LLC
  EXPECT_EQ(a.inspectLink(kLinkEthernet, stp.data(), stp.size()).status, FrameStatus::NotIp);
  const Bytes lldp = ether(0x88cc, Bytes(30, 0));
  EXPECT_EQ(a.inspectLink(kLinkEthernet, lldp.data(), lldp.size()).status, FrameStatus::NotIp);
  Bytes badIhl = ether(0x0800, ipv4("10.20.1.9", "10.10.1.5", 6, {}));
  badIhl[14] = 0x4f;  // header length 60 > what is there
  EXPECT_EQ(a.inspectLink(kLinkEthernet, badIhl.data(), badIhl.size()).status,
            FrameStatus::Malformed);
  EXPECT_EQ(a.inspectLink(kLinkEthernet, nullptr, 100).status, FrameStatus::Malformed);
}

TEST_F(SegmentAuditTest, EveryTruncationIsHandled) {
  const auto a = auditorFor("intranet");
  const std::vector<Bytes> frames = {
      ether(0x0800, ipv4("10.20.1.9", "10.10.1.5", 6, l4Ports(40000, 445))),
      ether(0x86dd, ipv6("fd20::9", "fd10::5", 17, l4Ports(1, 53)), {{0x8100, 7}}),
      ether(0x0806, arp("10.20.0.1", "10.10.0.1"), {{0x88a8, 1}, {0x8100, 2}}),
      ether(0x0800,
            ipv4("10.10.1.1", "10.10.1.2", 41, ipv6("fd20::9", "fd10::5", 6, l4Ports(1, 2)))),
  };
  for (const auto& f : frames) {
    for (size_t len = 0; len <= f.size(); ++len) {
      // A copy of exactly `len` bytes, so ASan sees any read past the end.
      const Bytes cut(f.begin(), f.begin() + static_cast<long>(len));
      const auto r = a.inspectLink(kLinkEthernet, cut.data(), cut.size());
      if (len < 14) {
        EXPECT_EQ(r.status, FrameStatus::Malformed) << len;
      }
    }
    const auto whole = a.inspectLink(kLinkEthernet, f.data(), f.size());
    EXPECT_EQ(whole.status, FrameStatus::Breach);
  }
}

TEST_F(SegmentAuditTest, RandomBytesNeverCrash) {
  const auto a = auditorFor("intranet");
  std::mt19937 rng(12345);
  const int linkTypes[] = {kLinkEthernet,  kLinkRaw,  kLinkLinuxSll,
                           kLinkLinuxSll2, kLinkNull, kLinkIpv6};
  int breaches = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b(rng() % 160);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    // Bias towards headers the parser goes deep into.
    if (b.size() > 14 && (i & 1)) {
      b[12] = (i & 2) ? 0x08 : 0x86;
      b[13] = (i & 2) ? 0x00 : 0xdd;
      b[14] = (i & 2) ? 0x45 : 0x60;
    }
    const auto r = a.inspectLink(linkTypes[i % 6], b.data(), b.size());
    breaches += r.status == FrameStatus::Breach;
  }
  EXPECT_GT(breaches, 0);  // random addresses often land in the Internet zone
}

// Every capture of the shared corpus, read in place: never crash.
TEST_F(SegmentAuditTest, CorpusCapturesNeverCrash) {
  const std::filesystem::path root = "/work/shared/corpus";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "no corpus at " << root;
  const auto a = auditorFor("intranet");
  int files = 0, opened = 0;
  uint64_t packets = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension().string();
    if (ext != ".pcap" && ext != ".pcapng" && ext != ".cap") continue;
    ++files;
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(entry.path().c_str(), errbuf);
    if (!p) continue;  // deliberately broken files: libpcap rejects them
    ++opened;
    const int link = pcap_datalink(p);
    struct pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    for (int n = 0; n < 20000 && pcap_next_ex(p, &h, &data) == 1; ++n) {
      a.inspectLink(link, data, h->caplen);
      ++packets;
    }
    pcap_close(p);
  }
  EXPECT_GT(files, 0);
  EXPECT_GT(opened, 0);
  EXPECT_GT(packets, 0u);
}

}  // namespace
}  // namespace isogate::policy
