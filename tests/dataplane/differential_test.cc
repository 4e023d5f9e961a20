// Differential test: random packet streams (TCP/UDP/ICMP/other protocols, both
// families, IPv6 extension headers, fragments, spoofed sources, truncated
// frames, replies to earlier flows) through the real pipeline give the verdict
// that policy::evaluateCompiled gives for first packets, and the connection
// semantics (replies of an allowed flow pass; nothing else does) for the rest.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <tuple>

#include "policy/evaluate.h"
#include "tests/dataplane/harness.h"

namespace isogate::dataplane::test {
namespace {

const std::string kRicherPolicy = std::string(kTestPolicy) + R"(  - name: portal-sync
    from: portal
    to: {zone: extranet, networks: [10.20.5.0/24, "fd20::/64"]}
    services: [{tcp: ["1000-2000"]}, {udp: [123]}]
    action: allow
  - name: internet-in
    from: internet
    to: extranet
    action: deny
  - name: ext6-out
    from: {zone: extranet, networks: ["fd20::/64"]}
    to: internet
    action: allow
)";

struct Host {
  const char* addr;
  uint16_t port;  // ingress port of its zone, 99 = behind no forwarding port (intranet)
};

const std::vector<Host> kHosts4 = {{"10.20.5.5", 0},    {"10.20.9.5", 0},    {"172.16.30.10", 1},
                                   {"172.16.30.11", 1}, {"198.51.100.7", 2}, {"192.0.2.44", 2},
                                   {"203.0.113.1", 2},  {"10.10.1.5", 99}};
const std::vector<Host> kHosts6 = {{"fd20::5", 0},        {"fd20:0:0:1::9", 0}, {"fd30::10", 1},
                                   {"2001:db8:99::1", 2}, {"2001:db8:1::1", 2}, {"fd10::5", 99}};

struct Flow {
  std::string a, b;
  uint8_t proto;
  uint16_t pa, pb;
  auto tie() const { return std::tie(a, b, proto, pa, pb); }
  bool operator<(const Flow& o) const { return tie() < o.tie(); }
};

Flow normal(const std::string& s, const std::string& d, uint8_t proto, uint16_t sp, uint16_t dp) {
  if (std::tie(s, sp) <= std::tie(d, dp)) return {s, d, proto, sp, dp};
  return {d, s, proto, dp, sp};
}

class DifferentialTest : public ::testing::TestWithParam<int> {};

TEST_P(DifferentialTest, PipelineAgreesWithEvaluateCompiledAndConnectionSemantics) {
  auto compiled = compileOrDie(kRicherPolicy);
  Harness h(kRicherPolicy);
  std::vector<std::string> all;
  for (const auto& x : kHosts4) all.push_back(x.addr);
  for (const auto& x : kHosts6) all.push_back(x.addr);
  h.learnHosts(all);
  std::mt19937 rng(static_cast<unsigned>(GetParam()));
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const uint16_t ports[] = {22, 53, 123, 443, 1500, 8443, 40000};
  std::set<Flow> flows;  // model of the connection table
  std::set<std::tuple<std::string, std::string, uint32_t>> fragsAllowed;
  struct Sent {
    std::string src, dst;
    uint16_t port;
    uint8_t proto;
    uint16_t sp, dp;
    uint8_t icmp;
  };
  std::vector<Sent> history;
  int checked = 0, allowed = 0, replies = 0, fragments = 0, truncated = 0;

  for (int n = 0; n < 3000; ++n) {
    const bool v6 = pick(3) == 0;
    const auto& hosts = v6 ? kHosts6 : kHosts4;
    Sent s;
    const int kind = static_cast<int>(pick(10));
    if (kind == 0 && !history.empty()) {  // a reply to something sent earlier
      const Sent& o = history[pick(history.size())];
      s = {o.dst,
           o.src,
           0,
           o.proto,
           o.dp,
           o.sp,
           o.icmp == 8 ? uint8_t{0} : (o.icmp == 128 ? uint8_t{129} : o.icmp)};
      bool found = false;
      for (const auto& x : kHosts4) found |= (x.addr == s.src && (s.port = x.port, true));
      for (const auto& x : kHosts6) found |= (x.addr == s.src && (s.port = x.port, true));
      if (s.port == 99) continue;
      ++replies;
    } else {
      const Host& src = hosts[pick(hosts.size())];
      const Host& dst = hosts[pick(hosts.size())];
      if (src.addr == std::string(dst.addr)) continue;
      s.src = src.addr;
      s.dst = dst.addr;
      // Mostly from the right port; sometimes spoofed from another one.
      s.port = pick(8) == 0 ? static_cast<uint16_t>(pick(3)) : src.port;
      if (s.port == 99) s.port = static_cast<uint16_t>(pick(3));
      const int p = static_cast<int>(pick(4));
      s.proto = p == 0 ? 6 : p == 1 ? 17 : p == 2 ? (v6 ? 58 : 1) : 47;
      s.sp = static_cast<uint16_t>(30000 + pick(50));
      s.dp = ports[pick(std::size(ports))];
      s.icmp = v6 ? (pick(2) ? 128 : 129) : (pick(2) ? 8 : 0);
      if (s.proto == 47) s.sp = s.dp = 0;
      if (s.proto == 1 || s.proto == 58) s.sp = s.dp = static_cast<uint16_t>(pick(4));
    }
    const bool isTcp = s.proto == 6, isIcmp = s.proto == 1 || s.proto == 58;
    const uint8_t flags = kind == 0 ? 0x12 : 0x02;
    Pkt pkt = isTcp           ? Pkt::tcp(s.src, s.dst, s.sp, s.dp, flags)
              : s.proto == 17 ? Pkt::udp(s.src, s.dst, s.sp, s.dp)
              : isIcmp        ? Pkt::icmp(s.src, s.dst, s.icmp, s.sp)
                              : Pkt::raw(s.src, s.dst, 47).payload(12);
    if (v6 && pick(3) == 0) pkt.ext(0).ext(60);
    const bool fragmented = !isIcmp && pick(6) == 0;
    const uint32_t fragId = static_cast<uint32_t>(1000 + n);
    if (fragmented) {
      pkt.payload(48).frag(0, true, fragId);
      ++fragments;
    }
    Bytes frame = pkt.frame();
    if (pick(15) == 0) {  // truncated inside the headers: always malformed, changes nothing
      const bool frameV6 = frame[12] == 0x86;
      frame.resize(std::min(frame.size() - 1, 14 + pick(frameV6 ? 40 : 20)));
      const Outcome o = h.send(s.port, frame);
      EXPECT_EQ(o.reason, DropReason::Malformed) << "truncated frame " << n;
      EXPECT_EQ(o.port, -1);
      ++truncated;
      continue;
    }

    // The model's expectation.
    const auto srcZone = compiled->zoneOf(*policy::parseAddress(s.src));
    const int portZone = compiled->findZone(h.dp().topology().port(s.port).zone);
    bool expect;
    policy::Verdict v;
    if (!srcZone || *srcZone != portZone) {
      expect = false;
    } else {
      policy::PacketKey key{
          *policy::parseAddress(s.src), *policy::parseAddress(s.dst), s.proto,
          isIcmp ? uint16_t{0} : s.sp,  isIcmp ? uint16_t{0} : s.dp,  isIcmp ? int{s.icmp} : -1};
      v = policy::evaluateCompiled(*compiled, key, {0, 600});
      const Flow f = normal(s.src, s.dst, s.proto, s.sp, s.dp);
      const bool echoReply = isIcmp && (s.icmp == 0 || s.icmp == 129);
      if (v.path == policy::PathKind::Physical) {
        expect = false;
      } else if (flows.count(f)) {
        expect = true;
      } else if (echoReply) {
        expect = v.allow;  // judged alone, no state
      } else {
        expect = v.allow && !(isTcp && flags != 0x02);
        if (expect) flows.insert(f);
      }
    }
    const Outcome o = h.send(s.port, frame);
    ++checked;
    ASSERT_EQ(o.forwarded(), expect)
        << "packet " << n << " " << s.src << " -> " << s.dst << " proto " << int{s.proto} << " "
        << s.sp << "->" << s.dp << " icmp " << int{s.icmp} << " port " << s.port << " got "
        << dropReasonName(o.reason) << " model rule " << v.rule;
    if (!expect && o.reason == DropReason::RuleDeny) {
      ASSERT_FALSE(o.records.empty());
      EXPECT_EQ(o.records[0].rule, static_cast<uint32_t>(v.rule)) << "packet " << n;
    }
    if (expect) ++allowed;
    history.push_back(s);
    if (fragmented) {
      if (expect) fragsAllowed.insert({s.src, s.dst, fragId});
      // The rest of the datagram follows the first fragment; an unrelated id is an orphan.
      Pkt rest = s.proto == 6    ? Pkt::tcp(s.src, s.dst, 1, 1)
                 : s.proto == 17 ? Pkt::udp(s.src, s.dst, 1, 1)
                                 : Pkt::raw(s.src, s.dst, 47);
      rest.payload(16).frag(7, false, fragId);
      const Outcome r = h.send(s.port, rest.frame());
      EXPECT_EQ(r.forwarded(), expect)
          << "later fragment of packet " << n << " " << dropReasonName(r.reason);
      Pkt orphan = s.proto == 6 ? Pkt::tcp(s.src, s.dst, 1, 1) : Pkt::udp(s.src, s.dst, 1, 1);
      orphan.payload(16).frag(7, false, fragId + 500000);
      EXPECT_FALSE(h.send(s.port, orphan.frame()).forwarded()) << "orphan fragment " << n;
    }
  }
  // The stream must have exercised both outcomes and every kind of packet.
  EXPECT_GT(allowed, 100);
  EXPECT_GT(checked - allowed, 100);
  EXPECT_GT(replies, 50);
  EXPECT_GT(fragments, 50);
  EXPECT_GT(truncated, 50);
}

INSTANTIATE_TEST_SUITE_P(Seeds, DifferentialTest, ::testing::Values(1, 2, 3, 4));

}  // namespace
}  // namespace isogate::dataplane::test
