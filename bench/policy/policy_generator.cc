#include "bench/policy/policy_generator.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace isogate::bench {
namespace {

using namespace isogate::policy;

// splitmix64: the same stream for a seed on every platform and library, unlike
// std:: distributions.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

 private:
  uint64_t state_;
};

Prefix prefixOf(const std::string& text) { return *parsePrefix(text); }

constexpr int kAgencies = 48;
constexpr int kPortalSites = 16;

std::string hex(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", v);
  return buf;
}

Zone makeZone(const std::string& name, const std::string& description, Level level) {
  Zone z;
  z.name = name;
  z.description = description;
  z.level = level;
  return z;
}

void addNetwork(Zone& z, const std::string& text) { z.networks.push_back({prefixOf(text), {}}); }

ServiceTerm portTerm(uint8_t proto, std::vector<PortRange> ports) {
  ServiceTerm t;
  t.protocol = proto;
  t.ports = std::move(ports);
  return t;
}

ServiceTerm icmpTerm(uint8_t proto, std::vector<uint8_t> types) {
  ServiceTerm t;
  t.protocol = proto;
  t.icmpTypes = std::move(types);
  return t;
}

void addService(Policy& p, const std::string& name, std::vector<ServiceTerm> terms) {
  p.services.push_back(Service{name, {}, std::move(terms)});
}

// A random sub-network of `base` with a length drawn from `lengths` (those shorter
// than the base are raised to it).
Prefix subnet(Random& rnd, const Prefix& base, const std::vector<int>& lengths) {
  const int length = std::max<int>(rnd.pick(lengths), base.length);
  const U128 hostPart = (U128{rnd.next()} << 64) | rnd.next();
  const U128 within = prefixMask(base.family, length) & ~prefixMask(base.family, base.length);
  return Prefix{base.family, base.base | (hostPart & within), static_cast<uint8_t>(length)};
}

// Networks rules may name per zone and family; internet pools lie in no other zone.
struct Pools {
  std::vector<Prefix> v4[4], v6[4];  // by zone id
};

Pools makePools(const Policy& p) {
  Pools pools;
  for (size_t z = 0; z < 3; ++z)
    for (const auto& n : p.zones[z].networks) (n.value.family == Family::V4 ? pools.v4 : pools.v6)[z].push_back(n.value);
  for (const char* n : {"198.18.0.0/15", "203.0.113.0/24", "100.64.0.0/10", "192.0.2.0/24"})
    pools.v4[3].push_back(prefixOf(n));
  for (const char* n : {"2001:db8:8000::/33", "2001:db8:4000::/34", "3fff::/20"}) pools.v6[3].push_back(prefixOf(n));
  return pools;
}

Endpoint endpoint(Random& rnd, const Policy& p, const Pools& pools, int zone, Family family, bool whole) {
  Endpoint e;
  e.zone = p.zones[zone].name;
  if (whole) return e;
  const auto& pool = family == Family::V4 ? pools.v4[zone] : pools.v6[zone];
  // Mostly hosts and small subnets, as in real exchange plans; now and then a
  // whole agency network.
  const std::vector<int> lengths4{20, 24, 26, 28, 29, 30, 32, 32, 32, 32};
  const std::vector<int> lengths6{48, 56, 64, 64, 120, 124, 128, 128, 128, 128};
  const int count = 1 + static_cast<int>(rnd.below(3));
  for (int i = 0; i < count; ++i)
    e.networks.push_back({subnet(rnd, rnd.pick(pool), family == Family::V4 ? lengths4 : lengths6), {}});
  return e;
}

struct PairWeight {
  int from, to, weight;
};

// zone ids: 0 intranet, 1 extranet, 2 portal, 3 internet.
const std::vector<PairWeight> kPairs = {{3, 2, 25}, {1, 2, 18}, {2, 1, 12}, {1, 3, 15},
                                        {2, 3, 8},  {3, 1, 7},  {1, 1, 10}, {2, 2, 5}};

const char* kNames[] = {"intranet", "extranet", "portal", "internet"};

}  // namespace

Policy generatePolicyModel(const GeneratorOptions& options) {
  Random rnd(options.seed * 0x2545f4914f6cdd1dULL + 17);
  Policy p;
  p.file = "generated.yaml";
  p.version = 1;
  p.name = "generated-" + std::to_string(options.rules) + "-rules-seed-" + std::to_string(options.seed);

  Zone intranet = makeZone("intranet", "government internal network (classified)", Level::Classified);
  addNetwork(intranet, "10.10.0.0/16");
  addNetwork(intranet, "fd10::/48");
  Zone extranet = makeZone("extranet", "government external network, one network per agency", Level::Internal);
  for (int a = 0; a < kAgencies; ++a)
    addNetwork(extranet, "10." + std::to_string(20 + a / 16) + "." + std::to_string((a % 16) * 16) + ".0/20");
  for (int a = 0; a < kAgencies; ++a) addNetwork(extranet, "fd20:" + hex(static_cast<unsigned>(a)) + "::/48");
  Zone portal = makeZone("portal", "government portal web sites", Level::Public);
  for (int s = 0; s < kPortalSites; ++s) addNetwork(portal, "172.16." + std::to_string(30 + s) + ".0/24");
  addNetwork(portal, "2001:db8:30::/48");
  Zone internet = makeZone("internet", "everything else", Level::Public);
  internet.isAny = true;
  p.zones = {intranet, extranet, portal, internet};

  p.defaultMode = IsolationMode::Physical;
  for (auto [a, b] : {std::pair{"extranet", "portal"}, {"extranet", "internet"}, {"portal", "internet"}}) {
    IsolationPair pair;
    pair.a = a;
    pair.b = b;
    pair.mode = IsolationMode::Logical;
    p.pairs.push_back(pair);
  }

  addService(p, "https", {portTerm(kProtoTcp, {{443, 443}})});
  addService(p, "http", {portTerm(kProtoTcp, {{80, 80}})});
  addService(p, "web", {portTerm(kProtoTcp, {{80, 80}, {443, 443}, {8080, 8080}})});
  addService(p, "dns", {portTerm(kProtoUdp, {{53, 53}}), portTerm(kProtoTcp, {{53, 53}})});
  addService(p, "ssh", {portTerm(kProtoTcp, {{22, 22}})});
  addService(p, "ntp", {portTerm(kProtoUdp, {{123, 123}})});
  addService(p, "smtp", {portTerm(kProtoTcp, {{25, 25}, {587, 587}})});
  addService(p, "ldap", {portTerm(kProtoTcp, {{389, 389}, {636, 636}})});
  addService(p, "syslog", {portTerm(kProtoUdp, {{514, 514}}), portTerm(kProtoTcp, {{6514, 6514}})});
  addService(p, "high", {portTerm(kProtoTcp, {{1024, 65535}})});
  addService(p, "ping", {icmpTerm(kProtoIcmp, {8}), icmpTerm(kProtoIcmpv6, {128})});
  addService(p, "icmp-errors", {icmpTerm(kProtoIcmp, {3, 11}), icmpTerm(kProtoIcmpv6, {1, 2, 3})});
  for (int k = 0; k < 20; ++k) {
    const auto first = static_cast<uint16_t>(8000 + k * 10);
    addService(p, "app-" + std::to_string(k), {portTerm(kProtoTcp, {{first, static_cast<uint16_t>(first + 9)}})});
  }

  const Pools pools = makePools(p);
  int totalWeight = 0;
  for (const auto& w : kPairs) totalWeight += w.weight;

  p.rules.reserve(options.rules);
  for (size_t i = 0; i < options.rules; ++i) {
    int roll = static_cast<int>(rnd.below(totalWeight));
    size_t pi = 0;
    while (roll >= kPairs[pi].weight) roll -= kPairs[pi++].weight;
    const PairWeight& pair = kPairs[pi];
    Rule r;
    char name[64];
    std::snprintf(name, sizeof name, "r%06zu-%s-%s", i, kNames[pair.from], kNames[pair.to]);
    r.name = name;
    const Family family = rnd.chance(70) ? Family::V4 : Family::V6;
    // Mostly narrow endpoints, as in real exchange plans; a few whole-zone rules.
    r.from = endpoint(rnd, p, pools, pair.from, family, rnd.chance(3));
    r.to = endpoint(rnd, p, pools, pair.to, family, rnd.chance(3));
    r.action = rnd.chance(12) ? Action::Deny : Action::Allow;

    const int svc = static_cast<int>(rnd.below(100));
    if (svc < 2) {
      r.anyService = true;
    } else {
      r.anyService = false;
      if (svc < 20) {
        ServiceRef inlineRef;
        const auto port = static_cast<uint16_t>(1024 + rnd.below(60000));
        if (rnd.chance(70)) inlineRef.inlineTerms.push_back(portTerm(kProtoTcp, {{port, port}}));
        else inlineRef.inlineTerms.push_back(portTerm(kProtoUdp, {{port, static_cast<uint16_t>(port + rnd.below(100))}}));
        r.services.push_back(inlineRef);
      }
      const int named = svc < 20 ? static_cast<int>(rnd.below(2)) : 1 + static_cast<int>(rnd.below(3));
      for (int k = 0; k < named; ++k) {
        // "high" (all unprivileged TCP ports) is rare: it covers most other services.
        std::string s = p.services[rnd.below(p.services.size())].name;
        if (s == "high" && !rnd.chance(20)) s = "https";
        bool dup = false;
        for (const auto& ref : r.services) dup = dup || ref.name == s;
        if (!dup) r.services.push_back(ServiceRef{s, {}, {}});
      }
    }
    r.log = rnd.chance(10);
    if (rnd.chance(30)) r.ref = "EX-2026-" + std::to_string(100 + rnd.below(900));
    if (rnd.chance(4)) {
      Schedule s;
      s.days = static_cast<uint8_t>(1 + rnd.below(127));
      s.startMinute = static_cast<uint16_t>(rnd.below(24) * 60 + (rnd.chance(50) ? 30 : 0));
      s.endMinute = static_cast<uint16_t>((s.startMinute + 60 * (1 + rnd.below(12))) % 1440);
      if (s.endMinute == 0) s.endMinute = 1440;
      r.schedule = s;
    }
    p.rules.push_back(std::move(r));
  }
  return p;
}

}  // namespace isogate::bench
