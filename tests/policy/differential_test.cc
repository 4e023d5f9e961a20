// Differential test: evaluatePolicy (over the model) and evaluateCompiled (over
// the IR) must give the same verdict -- allow, zones, path, deciding rule -- for
// every packet. Packets are drawn near every prefix boundary of the policy and at
// random, v4 and v6, tcp/udp/icmp/icmpv6 and others, at several local times.
// Policies: the hand-written example (model and YAML) and generated 1k-rule ones.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "policy/compiler.h"
#include "policy/evaluate.h"
#include "policy/loader.h"
#include "policy/pipeline.h"
#include "tests/policy/example_model.h"

namespace isogate::policy {
namespace {

using testing::ip;

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }
  U128 wide() { return (U128{next()} << 64) | next(); }

 private:
  uint64_t state_;
};

// Addresses and values where verdicts change: both ends of every prefix the
// policy names and their outside neighbours, and every port/type bound.
struct Interesting {
  std::vector<IpAddress> v4, v6;
  std::vector<uint16_t> ports;
  std::vector<int> icmpTypes;
};

void addPrefix(Interesting& in, const Prefix& p) {
  auto& list = p.family == Family::V4 ? in.v4 : in.v6;
  const U128 top = prefixMask(p.family, familyBits(p.family));
  list.push_back({p.family, p.first()});
  list.push_back({p.family, p.last()});
  if (p.first() > 0) list.push_back({p.family, p.first() - 1});
  if (p.last() < top) list.push_back({p.family, p.last() + 1});
}

Interesting interestingValues(const Policy& m, const CompiledPolicy& c) {
  Interesting in;
  for (const Zone& z : m.zones)
    for (const auto& n : z.networks) addPrefix(in, n.value);
  for (const Rule& r : m.rules)
    for (const auto* e : {&r.from, &r.to})
      for (const auto& n : e->networks) addPrefix(in, n.value);
  for (const auto* t : {&c.prefixes4, &c.prefixes6})
    for (const ZonePrefix& zp : *t) addPrefix(in, zp.prefix);
  std::set<uint16_t> ports{0, 1, 65535};
  std::set<int> types{-1, 0, 255};
  for (const CompiledRule& r : c.rules) {
    for (const MatchTerm& t : r.terms) {
      for (int p : {t.portFirst - 1, +t.portFirst, +t.portLast, t.portLast + 1})
        if (p >= 0 && p <= 65535) ports.insert(static_cast<uint16_t>(p));
      for (int p : {t.icmpFirst - 1, +t.icmpFirst, +t.icmpLast, t.icmpLast + 1})
        if (p >= 0 && p <= 255) types.insert(p);
    }
  }
  in.ports.assign(ports.begin(), ports.end());
  in.icmpTypes.assign(types.begin(), types.end());
  return in;
}

IpAddress randomAddress(Random& rnd, const Interesting& in, Family f) {
  const auto& list = f == Family::V4 ? in.v4 : in.v6;
  const uint64_t roll = rnd.below(10);
  if (roll < 5 && !list.empty()) return list[rnd.below(list.size())];
  if (roll < 8 && !list.empty()) {
    // Near an interesting address: flip some low bits.
    IpAddress a = list[rnd.below(list.size())];
    const int bits = static_cast<int>(rnd.below(f == Family::V4 ? 16 : 40));
    a.value ^= rnd.wide() & ((U128{1} << bits) - 1);
    return a;
  }
  return {f, f == Family::V4 ? U128{rnd.next() & 0xffffffffULL} : rnd.wide()};
}

IpAddress inside(Random& rnd, const Prefix& p) {
  const U128 host = ~prefixMask(p.family, p.length) & prefixMask(p.family, familyBits(p.family));
  const uint64_t roll = rnd.below(4);
  if (roll == 0) return {p.family, p.first()};
  if (roll == 1) return {p.family, p.last()};
  return {p.family, p.base | (rnd.wide() & host)};
}

// An address of `zone` in family f: inside one of its table entries, or (for
// the catch-all) anywhere; nullopt when the zone has none in that family.
std::optional<IpAddress> inZone(Random& rnd, const CompiledPolicy& c, int zone, Family f) {
  const auto& table = f == Family::V4 ? c.prefixes4 : c.prefixes6;
  std::vector<const Prefix*> mine;
  for (const ZonePrefix& zp : table)
    if (zp.zone == zone) mine.push_back(&zp.prefix);
  if (zone == c.anyZone && (mine.empty() || rnd.below(2)))
    return IpAddress{f, f == Family::V4 ? U128{rnd.next() & 0xffffffffULL} : rnd.wide()};
  if (mine.empty()) return std::nullopt;
  return inside(rnd, *mine[rnd.below(mine.size())]);
}

std::optional<IpAddress> endpointAddress(Random& rnd, const CompiledPolicy& c, const std::vector<Prefix>& list,
                                         int zone, Family f) {
  std::vector<const Prefix*> same;
  for (const Prefix& p : list)
    if (p.family == f) same.push_back(&p);
  if (!same.empty()) return inside(rnd, *same[rnd.below(same.size())]);
  if (!list.empty()) return std::nullopt;
  return inZone(rnd, c, zone, f);
}

void fillService(Random& rnd, const Interesting& in, PacketKey& p, Family f) {
  const uint64_t proto = rnd.below(20);
  if (proto < 9) p.protocol = kProtoTcp;
  else if (proto < 14) p.protocol = kProtoUdp;
  else if (proto < 18) p.protocol = f == Family::V4 ? kProtoIcmp : kProtoIcmpv6;
  else if (proto < 19) p.protocol = f == Family::V4 ? kProtoIcmpv6 : kProtoIcmp;  // odd but possible
  else p.protocol = static_cast<uint8_t>(rnd.below(256));
  if (p.protocol == kProtoTcp || p.protocol == kProtoUdp) {
    p.sport = static_cast<uint16_t>(rnd.below(65536));
    p.dport = rnd.below(3) ? in.ports[rnd.below(in.ports.size())] : static_cast<uint16_t>(rnd.below(65536));
  } else if (p.protocol == kProtoIcmp || p.protocol == kProtoIcmpv6) {
    p.icmpType = rnd.below(3) ? in.icmpTypes[rnd.below(in.icmpTypes.size())] : static_cast<int>(rnd.below(256));
  }
}

// A packet aimed at one rule: addresses from its endpoints, service from one of
// its terms (at the range ends or inside).
std::optional<PacketKey> packetForRule(Random& rnd, const Interesting& in, const CompiledPolicy& c) {
  const CompiledRule& r = c.rules[rnd.below(c.rules.size())];
  const Family f = rnd.below(10) < 6 ? Family::V4 : Family::V6;
  auto src = endpointAddress(rnd, c, r.src, r.fromZone, f);
  auto dst = endpointAddress(rnd, c, r.dst, r.toZone, f);
  if (!src || !dst) return std::nullopt;
  PacketKey p;
  p.src = *src;
  p.dst = *dst;
  const MatchTerm& t = r.terms[rnd.below(r.terms.size())];
  if (t.protoFirst != t.protoLast || rnd.below(10) == 0) {
    fillService(rnd, in, p, f);
    return p;
  }
  p.protocol = t.protoFirst;
  auto within = [&](int a, int b) {
    const uint64_t roll = rnd.below(4);
    return roll == 0 ? a : roll == 1 ? b : a + static_cast<int>(rnd.below(b - a + 1));
  };
  p.sport = static_cast<uint16_t>(rnd.below(65536));
  p.dport = static_cast<uint16_t>(within(t.portFirst, t.portLast));
  if (p.protocol == kProtoIcmp || p.protocol == kProtoIcmpv6) p.icmpType = within(t.icmpFirst, t.icmpLast);
  return p;
}

PacketKey randomPacket(Random& rnd, const Interesting& in, const CompiledPolicy& c) {
  const uint64_t kind = rnd.below(10);
  if (kind < 4 && !c.rules.empty()) {
    if (auto p = packetForRule(rnd, in, c)) return *p;
  }
  PacketKey p;
  const Family f = rnd.below(10) < 6 ? Family::V4 : Family::V6;
  if (kind < 6) {
    // Between two random zones (physical pairs, intra-zone, default deny).
    auto src = inZone(rnd, c, static_cast<int>(rnd.below(c.zones.size())), f);
    auto dst = inZone(rnd, c, static_cast<int>(rnd.below(c.zones.size())), f);
    p.src = src ? *src : randomAddress(rnd, in, f);
    p.dst = dst ? *dst : randomAddress(rnd, in, f);
  } else {
    p.src = randomAddress(rnd, in, f);
    p.dst = randomAddress(rnd, in, f);
  }
  fillService(rnd, in, p, f);
  return p;
}

// Schedule boundaries of the example and generated policies, and random times.
std::vector<LocalTime> times(Random& rnd) {
  std::vector<LocalTime> t = {{0, 8 * 60}, {0, 8 * 60 - 1}, {4, 18 * 60 - 1}, {4, 18 * 60}, {5, 23 * 60},
                              {6, 3 * 60},  {0, 5 * 60},     {2, 12 * 60},     {6, 0},          {0, 1439}};
  for (int i = 0; i < 6; ++i) t.push_back({static_cast<uint8_t>(rnd.below(7)), static_cast<uint16_t>(rnd.below(1440))});
  return t;
}

std::string describe(const PacketKey& p, const LocalTime& t) {
  std::ostringstream o;
  o << toString(p.src) << " -> " << toString(p.dst) << " proto " << int(p.protocol) << " dport " << p.dport
    << " icmp " << p.icmpType << " at day " << int(t.weekday) << " minute " << t.minute;
  return o.str();
}

std::string describe(const Verdict& v) {
  std::ostringstream o;
  o << (v.allow ? "allow" : "deny") << " " << v.fromZone << "->" << v.toZone << " " << pathKindName(v.path)
    << " rule " << v.rule;
  return o.str();
}

struct Tally {
  size_t packets = 0, ruleAllow = 0, ruleDeny = 0, physical = 0, intra = 0, defaultDeny = 0;
};

Tally runDifferential(const Policy& model, const CompiledPolicy& compiled, uint64_t seed, size_t packets) {
  Random rnd(seed);
  const Interesting in = interestingValues(model, compiled);
  const std::vector<LocalTime> clock = times(rnd);
  Tally tally;
  int failures = 0;
  for (size_t i = 0; i < packets && failures < 10; ++i) {
    const PacketKey p = randomPacket(rnd, in, compiled);
    const LocalTime& t = clock[rnd.below(clock.size())];
    const Verdict a = evaluatePolicy(model, p, t);
    const Verdict b = evaluateCompiled(compiled, p, t);
    ++tally.packets;
    if (!(a == b)) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << " packet " << i << ": " << describe(p, t) << "\n  model:    "
                    << describe(a) << "\n  compiled: " << describe(b);
    }
    if (a.rule >= 0) (a.allow ? tally.ruleAllow : tally.ruleDeny)++;
    else if (a.path == PathKind::Physical) ++tally.physical;
    else if (a.path == PathKind::IntraZone) ++tally.intra;
    else ++tally.defaultDeny;
  }
  std::printf("seed %llu: %zu packets, %zu allowed by a rule, %zu denied by a rule, %zu physical, %zu intra-zone "
              "without rule, %zu default deny\n",
              static_cast<unsigned long long>(seed), tally.packets, tally.ruleAllow, tally.ruleDeny, tally.physical,
              tally.intra, tally.defaultDeny);
  return tally;
}

// The test would prove little if the packets rarely reached a rule.
void expectCoverage(const Tally& t) {
  EXPECT_GT(t.ruleAllow, t.packets / 50) << "too few packets allowed by a rule";
  EXPECT_GT(t.ruleDeny, t.packets / 1000) << "too few packets denied by a rule";
  EXPECT_GT(t.physical, t.packets / 50);
  EXPECT_GT(t.intra, t.packets / 100);
  EXPECT_GT(t.defaultDeny, t.packets / 50);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs isogate-policy-gen and builds its output through the whole pipeline.
PolicyBuild generated(size_t rules, uint64_t seed) {
  const std::string out = ::testing::TempDir() + "b-gen-" + std::to_string(rules) + "-" + std::to_string(seed) + ".yaml";
  const std::string cmd = std::string(ISOGATE_BINARY_DIR) + "/bench/policy/isogate-policy-gen --rules " +
                          std::to_string(rules) + " --seed " + std::to_string(seed) + " -o " + out;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  PolicyBuild b = buildPolicyText(readFile(out), out);
  std::remove(out.c_str());
  return b;
}

TEST(DifferentialTest, HandBuiltExampleModel) {
  const Policy m = testing::exampleModel();
  const CompiledPolicy c = compilePolicy(m);
  const Tally t = runDifferential(m, c, 1, 40000);
  expectCoverage(t);
}

TEST(DifferentialTest, ExampleYamlFixtureMatchesModel) {
  const std::string path = std::string(ISOGATE_SOURCE_DIR) + "/tests/policy/fixtures/b-example.yaml";
  PolicyBuild b = buildPolicyFile(path);
  std::string diags;
  for (const auto& d : b.diags.all()) diags += formatDiagnostic(d) + "\n";
  ASSERT_TRUE(b.ok()) << diags;
  // The fixture is the model: same digest (locations do not count).
  EXPECT_EQ(b.compiled->digest, computeDigest(compilePolicy(testing::exampleModel())));
  const Tally t = runDifferential(b.model, *b.compiled, 2, 20000);
  expectCoverage(t);
}

TEST(DifferentialTest, GeneratedThousandRulePolicies) {
  size_t total = 0;
  for (uint64_t seed : {11, 12}) {
    PolicyBuild b = generated(1000, seed);
    ASSERT_TRUE(b.ok()) << "generated policy seed " << seed << " did not build: "
                        << (b.diags.all().empty() ? "" : formatDiagnostic(b.diags.all()[0]));
    ASSERT_EQ(b.compiled->rules.size(), 1000u);
    const Tally t = runDifferential(b.model, *b.compiled, seed, 25000);
    expectCoverage(t);
    total += t.packets;
  }
  EXPECT_EQ(total, 50000u);
}

// A few verdicts checked by hand, so that both evaluators agreeing on a wrong
// answer would still be caught.
TEST(DifferentialTest, ExampleVerdictsByHand) {
  const Policy m = testing::exampleModel();
  const CompiledPolicy c = compilePolicy(m);
  const LocalTime monday10{0, 600}, monday23{0, 1380}, saturday{5, 600};
  auto tcp = [](const char* s, const char* d, uint16_t port) {
    PacketKey p;
    p.src = ip(s);
    p.dst = ip(d);
    p.protocol = kProtoTcp;
    p.sport = 40000;
    p.dport = port;
    return p;
  };
  struct Case {
    PacketKey p;
    LocalTime t;
    Verdict expected;
  };
  const std::vector<Case> cases = {
      {tcp("8.8.8.8", "172.16.30.5", 443), monday10, {true, 3, 2, PathKind::Logical, 1}},
      {tcp("198.51.100.66", "172.16.30.5", 443), monday10, {false, 3, 2, PathKind::Logical, 0}},
      {tcp("8.8.8.8", "172.16.30.5", 22), monday10, {false, 3, 2, PathKind::Logical, -1}},
      {tcp("10.20.5.9", "172.16.30.10", 22), monday10, {true, 1, 2, PathKind::Logical, 3}},
      {tcp("10.20.5.9", "172.16.30.10", 22), saturday, {false, 1, 2, PathKind::Logical, -1}},
      {tcp("10.21.3.3", "172.16.30.99", 5000), monday23, {true, 1, 2, PathKind::Logical, 4}},
      {tcp("10.21.3.3", "172.16.30.99", 5000), monday10, {false, 1, 2, PathKind::Logical, -1}},
      {tcp("10.10.1.5", "10.20.1.9", 445), monday10, {false, 0, 1, PathKind::Physical, -1}},
      {tcp("fd10::5", "2001:db8:30::10", 443), monday10, {false, 0, 2, PathKind::Physical, -1}},
      {tcp("172.16.30.7", "172.16.30.8", 80), monday10, {false, 2, 2, PathKind::IntraZone, -1}},
      {tcp("172.16.30.7", "172.16.31.8", 80), monday10, {true, 2, 2, PathKind::IntraZone, 10}},
      {tcp("10.21.0.1", "10.20.0.1", 22), monday10, {false, 1, 1, PathKind::IntraZone, 11}},
      {tcp("10.21.0.1", "10.20.0.1", 23), monday10, {true, 1, 1, PathKind::IntraZone, -1}},
      {tcp("203.0.113.9", "10.20.0.1", 22), saturday, {true, 3, 1, PathKind::Logical, 12}},
      {tcp("8.8.8.8", "9.9.9.9", 22), monday10, {true, 3, 3, PathKind::IntraZone, -1}},
  };
  for (const Case& k : cases) {
    EXPECT_EQ(describe(evaluatePolicy(m, k.p, k.t)), describe(k.expected)) << describe(k.p, k.t);
    EXPECT_EQ(describe(evaluateCompiled(c, k.p, k.t)), describe(k.expected)) << describe(k.p, k.t);
  }
  PacketKey ping;
  ping.src = ip("2001:db8:1::1");
  ping.dst = ip("2001:db8:30::1");
  ping.protocol = kProtoIcmpv6;
  ping.icmpType = 128;
  EXPECT_EQ(describe(evaluateCompiled(c, ping, monday10)), describe({false, 3, 2, PathKind::Logical, -1}));
  ping.dst = ip("172.16.30.1");
  ping.src = ip("8.8.8.8");
  ping.protocol = kProtoIcmp;
  ping.icmpType = 8;
  EXPECT_EQ(describe(evaluateCompiled(c, ping, monday10)), describe({true, 3, 2, PathKind::Logical, 2}));
  ping.icmpType = -1;  // no type: only any-service rules
  EXPECT_EQ(describe(evaluateCompiled(c, ping, monday10)), describe({false, 3, 2, PathKind::Logical, -1}));
}

}  // namespace
}  // namespace isogate::policy
