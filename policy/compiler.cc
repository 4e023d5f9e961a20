// Pass 3: lowering a checked policy model to the IR. The verifier (verifier.cc)
// and the digest (digest.cc) are separate passes over the result.
#include "policy/compiler.h"

#include <algorithm>
#include <unordered_map>

#include "policy/prefix_table.h"

namespace isogate::policy {
namespace {

constexpr MatchTerm kAnyTerm{};

void addPortTerms(const ServiceTerm& t, std::vector<MatchTerm>& out) {
  if (t.ports.empty()) {
    out.push_back({t.protocol, t.protocol, 0, 65535, 0, 255});
    return;
  }
  for (const PortRange& r : t.ports) out.push_back({t.protocol, t.protocol, r.first, r.last, 0, 255});
}

// Consecutive ICMP types become one range, so `icmp: [0, 1, 2, 3]` is one term.
void addIcmpTerms(const ServiceTerm& t, std::vector<MatchTerm>& out) {
  std::vector<uint8_t> types = t.icmpTypes;
  if (types.empty()) {
    out.push_back({t.protocol, t.protocol, 0, 65535, 0, 255});
    return;
  }
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  size_t i = 0;
  while (i < types.size()) {
    size_t j = i;
    while (j + 1 < types.size() && types[j + 1] == types[j] + 1) ++j;
    out.push_back({t.protocol, t.protocol, 0, 65535, types[i], types[j]});
    i = j + 1;
  }
}

void addServiceTerm(const ServiceTerm& t, std::vector<MatchTerm>& out) {
  if (t.protocol == kProtoTcp || t.protocol == kProtoUdp) addPortTerms(t, out);
  else if (t.protocol == kProtoIcmp || t.protocol == kProtoIcmpv6) addIcmpTerms(t, out);
  else out.push_back({t.protocol, t.protocol, 0, 65535, 0, 255});
}

std::vector<MatchTerm> lowerServices(const Rule& rule,
                                     const std::unordered_map<std::string, const Service*>& services) {
  std::vector<MatchTerm> terms;
  if (rule.anyService) {
    terms.push_back(kAnyTerm);
    return terms;
  }
  for (const ServiceRef& ref : rule.services) {
    if (ref.name.empty()) {
      for (const ServiceTerm& t : ref.inlineTerms) addServiceTerm(t, terms);
      continue;
    }
    auto it = services.find(ref.name);
    if (it == services.end()) continue;  // the checker rejects undefined services
    for (const ServiceTerm& t : it->second->terms) addServiceTerm(t, terms);
  }
  // Drop exact repeats (one service listed twice, dns over tcp twice, ...) but keep the order.
  std::vector<MatchTerm> unique;
  for (const MatchTerm& t : terms)
    if (std::find(unique.begin(), unique.end(), t) == unique.end()) unique.push_back(t);
  return unique;
}

std::vector<Prefix> lowerNetworks(const Endpoint& e) {
  std::vector<Prefix> out;
  out.reserve(e.networks.size());
  for (const auto& n : e.networks) out.push_back(n.value);
  return out;
}

}  // namespace

CompiledPolicy compilePolicy(const Policy& policy) {
  CompiledPolicy c;
  c.name = policy.name;
  c.sourceFile = policy.file;

  std::unordered_map<std::string, uint16_t> zoneIds;
  std::vector<ZonePrefix> entries4, entries6;
  for (size_t i = 0; i < policy.zones.size(); ++i) {
    const Zone& z = policy.zones[i];
    const auto id = static_cast<uint16_t>(i);
    zoneIds.emplace(z.name, id);
    c.zones.push_back({z.name, z.level, z.isAny, z.intraZoneAllow});
    if (z.isAny && c.anyZone < 0) c.anyZone = id;
    for (const auto& n : z.networks) (n.value.family == Family::V4 ? entries4 : entries6).push_back({n.value, id});
  }
  c.prefixes4 = buildPrefixTable(std::move(entries4), c.anyZone);
  c.prefixes6 = buildPrefixTable(std::move(entries6), c.anyZone);

  const size_t n = c.zones.size();
  c.matrix.assign(n * n, PairKind::Physical);
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = 0; b < n; ++b) {
      if (a == b) {
        c.matrix[a * n + b] = PairKind::Intra;
        continue;
      }
      const IsolationMode m = policy.isolation(c.zones[a].name, c.zones[b].name);
      c.matrix[a * n + b] = m == IsolationMode::Logical ? PairKind::Logical : PairKind::Physical;
    }
  }

  std::unordered_map<std::string, const Service*> services;
  for (const Service& s : policy.services) services.emplace(s.name, &s);

  c.rules.reserve(policy.rules.size());
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const Rule& r = policy.rules[i];
    CompiledRule cr;
    cr.id = static_cast<uint32_t>(i);
    cr.name = r.name;
    cr.ref = r.ref;
    cr.where = r.where;
    // The checker rejects undefined zones; should one slip through, the rule gets
    // an id no zone has, and the verifier rejects it rather than guessing a zone.
    auto from = zoneIds.find(r.from.zone);
    auto to = zoneIds.find(r.to.zone);
    cr.fromZone = from == zoneIds.end() ? static_cast<uint16_t>(0xffff) : from->second;
    cr.toZone = to == zoneIds.end() ? static_cast<uint16_t>(0xffff) : to->second;
    cr.src = lowerNetworks(r.from);
    cr.dst = lowerNetworks(r.to);
    cr.terms = lowerServices(r, services);
    cr.action = r.action;
    cr.log = r.log;
    cr.schedule = r.schedule;
    c.rules.push_back(std::move(cr));
  }
  return c;
}

}  // namespace isogate::policy
