// The indexed shadowed-rule analysis against a brute force that compares every
// rule with every earlier rule of its zone pair and reports the first cover:
// generated policies (several seeds) and hand-written corner cases.
#include "policy/checker_shadow.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "policy/loader.h"

namespace isogate::policy {
namespace {

using detail::RuleFacts;

std::vector<RuleFacts> factsOf(const Policy& p) {
  std::map<std::string, int> zones;
  for (size_t z = 0; z < p.zones.size(); ++z) zones[p.zones[z].name] = static_cast<int>(z);
  std::map<std::string, int> services;
  for (const auto& s : p.services) services[s.name] = 1;
  std::vector<RuleFacts> facts(p.rules.size());
  for (size_t i = 0; i < p.rules.size(); ++i) {
    const Rule& r = p.rules[i];
    RuleFacts& f = facts[i];
    const auto from = zones.find(r.from.zone), to = zones.find(r.to.zone);
    f.ok = from != zones.end() && to != zones.end();
    for (const auto& ref : r.services)
      if (!ref.name.empty() && !services.count(ref.name)) f.ok = false;
    if (from != zones.end()) f.from = from->second;
    if (to != zones.end()) f.to = to->second;
  }
  return facts;
}

// ---- the brute force reference, written independently of checker_shadow.cc ----

struct Range {
  uint8_t proto;
  uint32_t lo, hi;
};

// nullopt-like: any == true means every protocol and port.
struct Svc {
  bool any = false;
  std::vector<Range> ranges;
};

Svc svcOf(const Policy& p, const Rule& r) {
  Svc s;
  if (r.anyService) {
    s.any = true;
    return s;
  }
  auto add = [&](const std::vector<ServiceTerm>& terms) {
    for (const auto& t : terms) {
      for (const auto& pr : t.ports) s.ranges.push_back({t.protocol, pr.first, pr.last});
      for (const auto type : t.icmpTypes) s.ranges.push_back({t.protocol, type, type});
    }
  };
  for (const auto& ref : r.services) {
    if (ref.name.empty()) add(ref.inlineTerms);
    for (const auto& def : p.services)
      if (!ref.name.empty() && def.name == ref.name) add(def.terms);
  }
  return s;
}

// Every value of `want` lies in some range of `have` (walks across adjoining ranges).
bool rangeCovered(const Range& want, const std::vector<Range>& have) {
  uint32_t cur = want.lo;
  while (cur <= want.hi) {
    uint32_t next = cur;
    for (const auto& h : have)
      if (h.proto == want.proto && h.lo <= cur && cur <= h.hi && h.hi + 1 > next) next = h.hi + 1;
    if (next == cur) return false;
    cur = next;
  }
  return true;
}

bool svcCovers(const Svc& e, const Svc& l) {
  if (e.any) return true;
  if (l.any) return false;
  for (const auto& r : l.ranges)
    if (!rangeCovered(r, e.ranges)) return false;
  return true;
}

bool sideCovers(const Endpoint& e, const Endpoint& l, const Zone& zone) {
  if (e.networks.empty()) return true;
  std::vector<Prefix> want;
  if (l.networks.empty()) {
    if (zone.isAny || zone.networks.empty()) return false;
    for (const auto& n : zone.networks) want.push_back(n.value);
  } else {
    for (const auto& n : l.networks) want.push_back(n.value);
  }
  for (const auto& w : want) {
    bool inside = false;
    for (const auto& n : e.networks) inside = inside || n.value.contains(w);
    if (!inside) return false;
  }
  return true;
}

bool timeCovers(const std::optional<Schedule>& e, const std::optional<Schedule>& l) {
  if (!e) return true;
  if (!l) return false;
  if ((l->days & ~e->days) != 0) return false;
  const bool ew = e->endMinute < e->startMinute, lw = l->endMinute < l->startMinute;
  if (ew == lw) return e->startMinute <= l->startMinute && l->endMinute <= e->endMinute;
  return ew && l->startMinute >= e->startMinute;
}

std::string label(const Rule& r, size_t i) {
  return r.name.empty() ? "#" + std::to_string(i + 1) : "'" + r.name + "'";
}

std::vector<std::string> bruteForce(const Policy& p) {
  const auto facts = factsOf(p);
  std::vector<Svc> svc;
  for (const auto& r : p.rules) svc.push_back(svcOf(p, r));
  std::vector<std::string> out;
  for (size_t i = 0; i < p.rules.size(); ++i) {
    if (!facts[i].ok || (!svc[i].any && svc[i].ranges.empty())) continue;
    const Rule& l = p.rules[i];
    for (size_t j = 0; j < i; ++j) {
      if (!facts[j].ok || facts[j].from != facts[i].from || facts[j].to != facts[i].to) continue;
      const Rule& e = p.rules[j];
      if (svcCovers(svc[j], svc[i]) &&
          sideCovers(e.from, l.from, p.zones[static_cast<size_t>(facts[i].from)]) &&
          sideCovers(e.to, l.to, p.zones[static_cast<size_t>(facts[i].to)]) &&
          timeCovers(e.schedule, l.schedule)) {
        out.push_back(l.where.file + ":" + std::to_string(l.where.line) + ": rule " + label(l, i) +
                      " can never match: earlier rule " + label(e, j) + " (line " +
                      std::to_string(e.where.line) + ") covers all its traffic");
        break;
      }
    }
  }
  return out;
}

std::vector<std::string> indexed(const Policy& p) {
  Diagnostics d;
  detail::warnShadowedRules(p, factsOf(p), d);
  std::vector<std::string> out;
  for (const auto& x : d.all()) {
    EXPECT_EQ(x.severity, Severity::Warning);
    out.push_back(x.where.file + ":" + std::to_string(x.where.line) + ": " + x.message);
  }
  return out;
}

Policy load(const std::string& text) {
  Diagnostics d;
  Policy p = loadPolicyText(text, "p.yaml", d);
  for (const auto& x : d.all()) ADD_FAILURE() << formatDiagnostic(x);
  return p;
}

std::string generated(size_t rules, int seed) {
  const std::string path = std::string(ISOGATE_BINARY_DIR) + "/tests/checker_shadow_gen_" +
                           std::to_string(rules) + "_" + std::to_string(seed) + ".yaml";
  const std::string cmd = std::string(ISOGATE_BINARY_DIR) + "/bench/policy/isogate-policy-gen --rules " +
                          std::to_string(rules) + " --seed " + std::to_string(seed) + " -o " + path;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return path;
}

TEST(CheckerShadowTest, GeneratedPoliciesMatchBruteForce) {
  size_t total = 0;
  for (const auto& [rules, seed] : std::vector<std::pair<size_t, int>>{{1000, 1}, {3000, 2}, {5000, 3}, {5000, 7}}) {
    const std::string path = generated(rules, seed);
    Diagnostics d;
    const Policy p = loadPolicyFile(path, d);
    ASSERT_FALSE(d.hasErrors()) << path;
    ASSERT_EQ(p.rules.size(), rules);
    const auto want = bruteForce(p);
    EXPECT_EQ(indexed(p), want) << path;
    total += want.size();
    std::remove(path.c_str());
  }
  EXPECT_GT(total, 50u);  // the seeds do hold shadowed rules
}

const std::string kHead = R"(version: 1
name: t
zones:
  lan:
    networks: [10.1.0.0/16, "fd01::/48"]
  dmz:
    networks: [10.2.0.0/24, 10.2.1.0/24]
  wan:
    networks: [any]
isolation:
  pairs:
    - zones: [lan, wan]
      mode: logical
    - zones: [dmz, wan]
      mode: logical
    - zones: [lan, dmz]
      mode: logical
services:
  web: {tcp: [80, 443]}
  https: {tcp: [443]}
  high: {tcp: ["1024-65535"]}
  low: {tcp: ["1-1023"]}
  ping: {icmp: [echo-request], icmpv6: [echo-request]}
  mix: {udp: [53, "100-200"], tcp: [22]}
rules:
)";

TEST(CheckerShadowTest, HandWrittenCasesMatchBruteForce) {
  const Policy p = load(kHead + R"(  - {name: a, from: lan, to: wan, services: [https], action: allow}
  - {name: b, from: lan, to: wan, services: [web], action: allow}
  - {name: c, from: lan, to: wan, services: [https], action: deny}
  - {name: d, from: {zone: lan, networks: [10.1.2.0/24]}, to: wan, services: [low, high], action: allow}
  - {name: e, from: {zone: lan, networks: [10.1.2.3]}, to: wan, services: [{tcp: ["1000-1100"]}], action: allow}
  - {name: f, from: {zone: lan, networks: [10.1.2.3, 10.1.9.9]}, to: wan, services: [{tcp: [5000]}], action: allow}
  - {name: g, from: {zone: lan, networks: ["fd01::5"]}, to: wan, services: [ping], action: allow}
  - {name: h, from: lan, to: wan, services: [ping], action: allow}
  - {name: i, from: {zone: lan, networks: ["fd01::5"]}, to: wan, services: [ping], action: allow}
  - {name: j, from: {zone: dmz, networks: [10.2.0.0/24, 10.2.1.0/24]}, to: wan, action: allow}
  - {name: k, from: dmz, to: wan, services: [mix], action: allow}
  - {name: l, from: {zone: dmz, networks: [10.2.1.7]}, to: wan, services: [mix], action: allow}
  - {name: m, from: wan, to: dmz, services: [https], action: allow, schedule: {days: [mon, tue], hours: "22:00-06:00"}}
  - {name: n, from: wan, to: dmz, services: [https], action: allow, schedule: {days: [mon], hours: "23:00-23:30"}}
  - {name: o, from: wan, to: dmz, services: [https], action: allow, schedule: {days: [mon], hours: "05:00-05:30"}}
  - {name: p, from: wan, to: dmz, services: [https], action: allow, schedule: {days: [tue], hours: "23:00-05:00"}}
  - {name: q, from: {zone: wan, networks: [192.0.2.0/24]}, to: dmz, services: [web], action: allow}
  - {name: r, from: wan, to: dmz, services: [web], action: allow}
  - {name: s, from: {zone: wan, networks: [192.0.2.9]}, to: dmz, services: [web], action: allow}
  - {name: t, from: {zone: wan, networks: [192.0.2.9]}, to: {zone: dmz, networks: [10.2.0.1]}, services: [https], action: deny}
  - {name: u, from: lan, to: dmz, services: [{udp: ["100-150"]}, {udp: ["151-300"]}], action: allow}
  - {name: v, from: lan, to: dmz, services: [{udp: ["120-180"]}], action: allow}
  - {name: w, from: lan, to: dmz, services: [{udp: ["120-301"]}], action: allow}
  - {name: x, from: dmz, to: lan, services: [https], action: allow}
  - {name: y, from: lan, to: dmz, services: [https], action: allow}
)");
  const auto want = bruteForce(p);
  EXPECT_EQ(indexed(p), want);
  // The reference itself finds the expected shadows, the first cover each time.
  ASSERT_GE(want.size(), 8u);
  auto has = [&](const std::string& rule, const std::string& by) {
    for (const auto& w : want)
      if (w.find("rule " + rule + " can never") != std::string::npos)
        return w.find("earlier rule " + by + " ") != std::string::npos;
    return false;
  };
  EXPECT_TRUE(has("'c'", "'a'"));
  EXPECT_TRUE(has("'e'", "'d'"));
  EXPECT_FALSE(has("'f'", "'d'"));
  EXPECT_TRUE(has("'i'", "'g'"));
  EXPECT_TRUE(has("'k'", "'j'"));
  EXPECT_TRUE(has("'l'", "'j'"));
  EXPECT_TRUE(has("'n'", "'m'"));
  EXPECT_FALSE(has("'o'", "'m'"));
  EXPECT_TRUE(has("'s'", "'q'"));
  EXPECT_TRUE(has("'t'", "'q'"));
  EXPECT_TRUE(has("'v'", "'u'"));
  EXPECT_FALSE(has("'w'", "'u'"));
  EXPECT_FALSE(has("'y'", "'x'"));
}

// Thousands of non-covering candidates before the first cover: every earlier
// rule must be considered (an index may not give up on a crowded pair).
TEST(CheckerShadowTest, FirstCoverBehindManyCandidatesIsFound) {
  std::string text = kHead;
  for (int k = 0; k < 3000; ++k) {
    char line[200];
    std::snprintf(line, sizeof line,
                  "  - {name: n%d, from: lan, to: {zone: wan, networks: [198.%d.%d.%d]}, action: allow}\n",
                  k, 18 + k / 65536, (k / 256) % 256, k % 256);
    text += line;
  }
  text += "  - {name: cover, from: lan, to: {zone: wan, networks: [203.0.113.0/24]}, action: allow}\n";
  text += "  - {name: cover2, from: lan, to: wan, services: [https], action: allow}\n";
  text += "  - {name: late, from: {zone: lan, networks: [10.1.0.1]}, to: {zone: wan, networks: [203.0.113.5]}, services: [https], action: allow}\n";
  const Policy p = load(text);
  const auto want = bruteForce(p);
  ASSERT_EQ(want.size(), 1u);
  EXPECT_NE(want[0].find("rule 'late' can never match: earlier rule 'cover' "), std::string::npos);
  EXPECT_EQ(indexed(p), want);
}

}  // namespace
}  // namespace isogate::policy
