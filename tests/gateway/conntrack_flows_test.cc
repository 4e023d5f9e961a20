// The kernel backend's flow table reader: ctnetlink entries built here byte by byte (as the
// kernel sends them in a dump) are parsed into tuples, states, timeouts and counters, named
// with the policy's zones and the rule that admits them; broken or short attributes are
// refused, flows of the gateway itself and outside every zone are left out.
#include "gateway/conntrack_flows.h"

#include <arpa/inet.h>
#include <endian.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

#include <vector>

#include "policy/pipeline.h"
#include "tests/policy/policy_fixture.h"

namespace isogate::gateway {
namespace {

const std::string kPolicy = policy::testing::policyText(
    {"version: 1\nname: flows-test\nzones:\n", policy::testing::kExtranetZone, R"(  portal:
    level: public
    networks: [172.16.30.0/24, "fd30::/48"]
isolation:
  default: logical
services:
  https: {tcp: [443]}
rules:
  - name: publish
    from: extranet
    to: portal
    services: [https]
    action: allow
)"});

policy::CompiledPolicy compiled() {
  policy::PolicyBuild b = policy::buildPolicyText(kPolicy, "flows.yaml");
  EXPECT_TRUE(b.ok());
  return *b.compiled;
}

struct Tuple {
  int family = AF_INET;
  std::vector<uint8_t> src, dst;
  uint8_t proto = IPPROTO_TCP;
  uint16_t sport = 0, dport = 0;
  bool withPorts = true;
};

std::vector<uint8_t> addr(int family, const char* text) {
  std::vector<uint8_t> b(family == AF_INET ? 4 : 16);
  EXPECT_EQ(inet_pton(family, text, b.data()), 1) << text;
  return b;
}

void putTuple(nlmsghdr* nlh, uint16_t type, const Tuple& t) {
  nlattr* tuple = mnl_attr_nest_start(nlh, type);
  nlattr* ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
  const bool v4 = t.family == AF_INET;
  mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, t.src.size(), t.src.data());
  mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, t.dst.size(), t.dst.data());
  mnl_attr_nest_end(nlh, ip);
  nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
  mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t.proto);
  if (t.withPorts) {
    mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t.sport));
    mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t.dport));
  }
  mnl_attr_nest_end(nlh, proto);
  mnl_attr_nest_end(nlh, tuple);
}

// One IPCTNL_MSG_CT_NEW message as a dump carries it.
struct Message {
  std::vector<char> buf = std::vector<char>(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh;
  explicit Message(int family) {
    nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
    nlh->nlmsg_flags = NLM_F_MULTI;
    auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    nfg->nfgen_family = static_cast<uint8_t>(family);
    nfg->version = NFNETLINK_V0;
  }
};

Message tcpEntry(uint8_t tcpState, bool counters) {
  Message m(AF_INET);
  Tuple orig{AF_INET, addr(AF_INET, "10.20.1.5"), addr(AF_INET, "172.16.30.10"), IPPROTO_TCP, 40000, 443};
  Tuple reply{AF_INET, addr(AF_INET, "172.16.30.10"), addr(AF_INET, "10.20.1.5"), IPPROTO_TCP, 443, 40000};
  putTuple(m.nlh, CTA_TUPLE_ORIG, orig);
  putTuple(m.nlh, CTA_TUPLE_REPLY, reply);
  mnl_attr_put_u32(m.nlh, CTA_STATUS, htonl(IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED));
  mnl_attr_put_u32(m.nlh, CTA_TIMEOUT, htonl(431990));
  nlattr* pi = mnl_attr_nest_start(m.nlh, CTA_PROTOINFO);
  nlattr* tcp = mnl_attr_nest_start(m.nlh, CTA_PROTOINFO_TCP);
  mnl_attr_put_u8(m.nlh, CTA_PROTOINFO_TCP_STATE, tcpState);
  mnl_attr_nest_end(m.nlh, tcp);
  mnl_attr_nest_end(m.nlh, pi);
  if (counters) {
    for (auto [type, pk, by] : {std::tuple{CTA_COUNTERS_ORIG, 5ull, 400ull}, std::tuple{CTA_COUNTERS_REPLY, 4ull, 9000ull}}) {
      nlattr* c = mnl_attr_nest_start(m.nlh, type);
      mnl_attr_put_u64(m.nlh, CTA_COUNTERS_PACKETS, htobe64(pk));
      mnl_attr_put_u64(m.nlh, CTA_COUNTERS_BYTES, htobe64(by));
      mnl_attr_nest_end(m.nlh, c);
    }
  }
  mnl_attr_put_u32(m.nlh, CTA_MARK, 0);
  return m;
}

TEST(ConntrackFlows, ParsesAnEstablishedTcpEntryAndNamesItWithThePolicy) {
  Message m = tcpEntry(TCP_CONNTRACK_ESTABLISHED, true);
  ConntrackEntry e;
  ASSERT_TRUE(parseConntrackEntry(m.nlh, e));
  EXPECT_EQ(policy::toString(e.orig.src), "10.20.1.5");
  EXPECT_EQ(policy::toString(e.orig.dst), "172.16.30.10");
  EXPECT_EQ(e.orig.protocol, 6);
  EXPECT_EQ(e.orig.sport, 40000);
  EXPECT_EQ(e.orig.dport, 443);
  EXPECT_EQ(e.state, "established");
  EXPECT_EQ(e.timeoutS, 431990u);
  EXPECT_EQ(e.packets, 9u);
  EXPECT_EQ(e.bytes, 9400u);

  const auto p = compiled();
  auto r = flowRecordOf(e, p, {}, policy::LocalTime{0, 600});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->family, 4);
  EXPECT_EQ(r->proto, 6);
  EXPECT_EQ(r->src, "10.20.1.5");
  EXPECT_EQ(r->sport, 40000);
  EXPECT_EQ(r->dst, "172.16.30.10");
  EXPECT_EQ(r->dport, 443);
  EXPECT_EQ(r->fromZone, "extranet");
  EXPECT_EQ(r->toZone, "portal");
  EXPECT_EQ(r->rule, "publish");
  EXPECT_EQ(r->state, "established");
  EXPECT_EQ(r->timeoutS, 431990u);
  EXPECT_EQ(r->packets, 9u);
}

TEST(ConntrackFlows, TcpStatesAndCountersOffByDefault) {
  Message m = tcpEntry(TCP_CONNTRACK_TIME_WAIT, false);
  ConntrackEntry e;
  ASSERT_TRUE(parseConntrackEntry(m.nlh, e));
  EXPECT_EQ(e.state, "time-wait");
  EXPECT_FALSE(e.packets);  // nf_conntrack_acct off: no counters in the entry
  EXPECT_FALSE(e.bytes);
  Message s = tcpEntry(TCP_CONNTRACK_SYN_SENT, false);
  ASSERT_TRUE(parseConntrackEntry(s.nlh, e));
  EXPECT_EQ(e.state, "syn-sent");
}

TEST(ConntrackFlows, UdpAndIcmpv6StatesAndTheRuleOfAFlowNoRuleAdmits) {
  Message m(AF_INET6);
  Tuple t{AF_INET6, addr(AF_INET6, "fd30::10"), addr(AF_INET6, "fd20::5"), IPPROTO_UDP, 5353, 53};
  putTuple(m.nlh, CTA_TUPLE_ORIG, t);
  mnl_attr_put_u32(m.nlh, CTA_STATUS, htonl(IPS_CONFIRMED));
  mnl_attr_put_u32(m.nlh, CTA_TIMEOUT, htonl(29));
  ConntrackEntry e;
  ASSERT_TRUE(parseConntrackEntry(m.nlh, e));
  EXPECT_EQ(e.state, "unreplied");
  auto r = flowRecordOf(e, compiled(), {}, policy::LocalTime{0, 600});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->family, 6);
  EXPECT_EQ(r->src, "fd30::10");
  EXPECT_EQ(r->dst, "fd20::5");
  EXPECT_EQ(r->sport, 5353);
  EXPECT_EQ(r->fromZone, "portal");
  EXPECT_EQ(r->toZone, "extranet");
  EXPECT_EQ(r->rule, "");  // no rule allows portal -> extranet

  Message icmp(AF_INET6);
  Tuple it{AF_INET6, addr(AF_INET6, "fd20::5"), addr(AF_INET6, "fd30::10"), IPPROTO_ICMPV6};
  it.withPorts = false;
  putTuple(icmp.nlh, CTA_TUPLE_ORIG, it);
  mnl_attr_put_u32(icmp.nlh, CTA_STATUS, htonl(IPS_SEEN_REPLY));
  ASSERT_TRUE(parseConntrackEntry(icmp.nlh, e));
  EXPECT_EQ(e.state, "replied");
  r = flowRecordOf(e, compiled(), {}, policy::LocalTime{0, 600});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->proto, 58);
  EXPECT_EQ(r->sport, 0);
  EXPECT_EQ(r->dport, 0);
}

TEST(ConntrackFlows, GatewayOwnAndUnzonedFlowsAreLeftOut) {
  Message m = tcpEntry(TCP_CONNTRACK_ESTABLISHED, false);
  ConntrackEntry e;
  ASSERT_TRUE(parseConntrackEntry(m.nlh, e));
  const auto p = compiled();
  EXPECT_FALSE(flowRecordOf(e, p, {*policy::parseAddress("172.16.30.10")}, policy::LocalTime{0, 600}));
  EXPECT_TRUE(flowRecordOf(e, p, {*policy::parseAddress("172.16.30.1")}, policy::LocalTime{0, 600}));
  Message out(AF_INET);
  putTuple(out.nlh, CTA_TUPLE_ORIG,
           {AF_INET, addr(AF_INET, "10.20.1.5"), addr(AF_INET, "198.51.100.7"), IPPROTO_TCP, 1, 443});
  ASSERT_TRUE(parseConntrackEntry(out.nlh, e));
  EXPECT_FALSE(flowRecordOf(e, p, {}, policy::LocalTime{0, 600}));  // 198.51.100.7: no zone
  // Loopback is the box's own traffic, even when an `any` zone would claim it.
  policy::PolicyBuild b = policy::buildPolicyText(
      std::string(kPolicy).replace(std::string(kPolicy).find("isolation:"), 0,
                                   "  internet:\n    level: public\n    networks: [any]\n"),
      "any.yaml");
  ASSERT_TRUE(b.ok());
  for (auto [src, dst] : {std::pair{"127.0.0.1", "127.0.0.1"}, std::pair{"::1", "::1"}}) {
    const int fam = std::string(src).find(':') == std::string::npos ? AF_INET : AF_INET6;
    Message lo(fam);
    putTuple(lo.nlh, CTA_TUPLE_ORIG, {fam, addr(fam, src), addr(fam, dst), IPPROTO_UDP, 40000, 514});
    ASSERT_TRUE(parseConntrackEntry(lo.nlh, e));
    EXPECT_FALSE(flowRecordOf(e, *b.compiled, {}, policy::LocalTime{0, 600})) << src;
  }
  Message anyv4(AF_INET);
  putTuple(anyv4.nlh, CTA_TUPLE_ORIG,
           {AF_INET, addr(AF_INET, "10.20.1.5"), addr(AF_INET, "198.51.100.7"), IPPROTO_TCP, 1, 443});
  ASSERT_TRUE(parseConntrackEntry(anyv4.nlh, e));
  auto r = flowRecordOf(e, *b.compiled, {}, policy::LocalTime{0, 600});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->toZone, "internet");
}

// Beyond the flows a snapshot shows, entries are only counted with isShownFlow() (no rule
// evaluation); it must count exactly the entries flowRecordOf() would show.
TEST(ConntrackFlows, ShownFlowAgreesWithTheRecord) {
  const auto p = compiled();
  const std::vector<policy::IpAddress> local = {*policy::parseAddress("172.16.30.1")};
  struct Case {
    int fam;
    const char *src, *dst;
    bool shown;
  };
  for (const Case& c : {Case{AF_INET, "10.20.1.5", "172.16.30.10", true},    // extranet -> portal
                        Case{AF_INET, "10.20.1.5", "172.16.30.1", false},    // to the gateway itself
                        Case{AF_INET, "172.16.30.1", "10.20.1.5", false},    // from the gateway itself
                        Case{AF_INET, "10.20.1.5", "198.51.100.7", false},   // no zone
                        Case{AF_INET, "127.0.0.1", "127.0.0.1", false},      // loopback
                        Case{AF_INET6, "fd20::5", "fd30::10", true},         // extranet -> portal, IPv6
                        Case{AF_INET6, "fd30::10", "fd20::5", true},         // portal -> extranet: no rule, shown
                        Case{AF_INET6, "::1", "::1", false}}) {
    Message m(c.fam);
    putTuple(m.nlh, CTA_TUPLE_ORIG, {c.fam, addr(c.fam, c.src), addr(c.fam, c.dst), IPPROTO_TCP, 40000, 443});
    ConntrackEntry e;
    ASSERT_TRUE(parseConntrackEntry(m.nlh, e)) << c.src;
    EXPECT_EQ(isShownFlow(e, p, local), c.shown) << c.src << " -> " << c.dst;
    EXPECT_EQ(flowRecordOf(e, p, local, policy::LocalTime{0, 600}).has_value(), c.shown) << c.src << " -> " << c.dst;
  }
}

// One snapshot names rules for at most kRuleNamingBudget / rules flows (the rest are shown
// with an empty rule): all 1000 shown up to 10k rules, fewer beyond.
TEST(ConntrackFlows, RuleNamingBudget) {
  EXPECT_GE(flowsWithRuleNamed(0), mgmt::kMaxSnapshotFlows);
  EXPECT_GE(flowsWithRuleNamed(6), mgmt::kMaxSnapshotFlows);
  EXPECT_EQ(flowsWithRuleNamed(10000), 1000u);
  EXPECT_EQ(flowsWithRuleNamed(100000), 100u);
  EXPECT_EQ(flowsWithRuleNamed(20'000'000), 0u);
}

TEST(ConntrackFlows, BrokenEntriesAreRefused) {
  ConntrackEntry e;
  {  // no original tuple at all
    Message m(AF_INET);
    mnl_attr_put_u32(m.nlh, CTA_STATUS, htonl(IPS_CONFIRMED));
    EXPECT_FALSE(parseConntrackEntry(m.nlh, e));
  }
  {  // an IPv4 source of two bytes
    Message m(AF_INET);
    Tuple t{AF_INET, {10, 20}, addr(AF_INET, "172.16.30.10"), IPPROTO_TCP, 1, 2};
    putTuple(m.nlh, CTA_TUPLE_ORIG, t);
    EXPECT_FALSE(parseConntrackEntry(m.nlh, e));
  }
  {  // no protocol number
    Message m(AF_INET);
    nlattr* tuple = mnl_attr_nest_start(m.nlh, CTA_TUPLE_ORIG);
    nlattr* ip = mnl_attr_nest_start(m.nlh, CTA_TUPLE_IP);
    mnl_attr_put_u32(m.nlh, CTA_IP_V4_SRC, 0x0a000001);
    mnl_attr_put_u32(m.nlh, CTA_IP_V4_DST, 0x0a000002);
    mnl_attr_nest_end(m.nlh, ip);
    nlattr* pr = mnl_attr_nest_start(m.nlh, CTA_TUPLE_PROTO);
    mnl_attr_nest_end(m.nlh, pr);
    mnl_attr_nest_end(m.nlh, tuple);
    EXPECT_FALSE(parseConntrackEntry(m.nlh, e));
  }
  {  // a message cut inside its attributes: the attribute claims more than is there
    Message m = tcpEntry(TCP_CONNTRACK_ESTABLISHED, false);
    m.nlh->nlmsg_len = mnl_nlmsg_size(sizeof(nfgenmsg)) + 12;
    EXPECT_FALSE(parseConntrackEntry(m.nlh, e));
  }
  {  // shorter than its own header
    Message m(AF_INET);
    m.nlh->nlmsg_len = sizeof(nlmsghdr);
    EXPECT_FALSE(parseConntrackEntry(m.nlh, e));
  }
}

}  // namespace
}  // namespace isogate::gateway
