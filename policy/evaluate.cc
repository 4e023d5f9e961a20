// The two evaluators share no code beyond the model's schedule helper on
// purpose: one reads the YAML model as written (names, nested networks,
// services by name), the other the compiled tables. Where they disagree, the
// compiler lowered something wrongly; the differential tests look for that.
#include "policy/evaluate.h"

#include <algorithm>

namespace isogate::policy {

// ---- over the model -------------------------------------------------------
namespace {

// Longest prefix over every network any zone lists; a tie goes to the zone
// written first. Addresses in no network belong to the catch-all zone.
int modelZoneOf(const Policy& policy, const IpAddress& a) {
  int best = -1;
  int bestLength = -1;
  for (size_t i = 0; i < policy.zones.size(); ++i) {
    for (const auto& n : policy.zones[i].networks) {
      if (n.value.contains(a) && n.value.length > bestLength) {
        best = static_cast<int>(i);
        bestLength = n.value.length;
      }
    }
  }
  if (best >= 0) return best;
  for (size_t i = 0; i < policy.zones.size(); ++i)
    if (policy.zones[i].isAny) return static_cast<int>(i);
  return -1;
}

bool inNetworks(const Endpoint& e, const IpAddress& a) {
  if (e.networks.empty()) return true;
  for (const auto& n : e.networks)
    if (n.value.contains(a)) return true;
  return false;
}

bool serviceTermMatches(const ServiceTerm& t, const PacketKey& p) {
  if (t.protocol != p.protocol) return false;
  if (p.protocol == kProtoTcp || p.protocol == kProtoUdp) {
    if (t.ports.empty()) return true;
    for (const PortRange& r : t.ports)
      if (r.contains(p.dport)) return true;
    return false;
  }
  if (p.protocol == kProtoIcmp || p.protocol == kProtoIcmpv6) {
    if (t.icmpTypes.empty()) return true;
    if (p.icmpType < 0) {
      // No type given: only a term that lists every type accepts it.
      std::vector<uint8_t> types = t.icmpTypes;
      std::sort(types.begin(), types.end());
      return std::unique(types.begin(), types.end()) - types.begin() == 256;
    }
    for (uint8_t type : t.icmpTypes)
      if (type == p.icmpType) return true;
    return false;
  }
  return true;
}

bool servicesMatch(const Policy& policy, const Rule& r, const PacketKey& p) {
  if (r.anyService) return true;
  for (const ServiceRef& ref : r.services) {
    const std::vector<ServiceTerm>* terms = &ref.inlineTerms;
    if (!ref.name.empty()) {
      const Service* s = policy.findService(ref.name);
      if (!s) continue;
      terms = &s->terms;
    }
    for (const ServiceTerm& t : *terms)
      if (serviceTermMatches(t, p)) return true;
  }
  return false;
}

// The first rule from `from` to `to` that matches, or -1.
int firstModelRule(const Policy& policy, const std::string& from, const std::string& to, const PacketKey& p,
                   const LocalTime& now) {
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const Rule& r = policy.rules[i];
    if (r.from.zone != from || r.to.zone != to) continue;
    if (!inNetworks(r.from, p.src) || !inNetworks(r.to, p.dst)) continue;
    if (!servicesMatch(policy, r, p)) continue;
    if (r.schedule && !scheduleActive(*r.schedule, now)) continue;
    return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

Verdict evaluatePolicy(const Policy& policy, const PacketKey& packet, const LocalTime& now) {
  Verdict v;
  v.fromZone = modelZoneOf(policy, packet.src);
  v.toZone = modelZoneOf(policy, packet.dst);
  if (v.fromZone < 0 || v.toZone < 0) return v;  // unzoned: deny
  const Zone& from = policy.zones[v.fromZone];
  const Zone& to = policy.zones[v.toZone];
  if (v.fromZone == v.toZone) {
    v.path = PathKind::IntraZone;
    v.rule = firstModelRule(policy, from.name, to.name, packet, now);
    v.allow = v.rule >= 0 ? policy.rules[v.rule].action == Action::Allow : from.intraZoneAllow;
    return v;
  }
  if (policy.isolation(from.name, to.name) == IsolationMode::Physical) {
    v.path = PathKind::Physical;
    return v;
  }
  v.path = PathKind::Logical;
  v.rule = firstModelRule(policy, from.name, to.name, packet, now);
  v.allow = v.rule >= 0 && policy.rules[v.rule].action == Action::Allow;
  return v;
}

// ---- over the IR ----------------------------------------------------------
namespace {

bool inPrefixes(const std::vector<Prefix>& list, const IpAddress& a) {
  if (list.empty()) return true;
  for (const Prefix& p : list)
    if (p.contains(a)) return true;
  return false;
}

bool ruleMatches(const CompiledRule& r, uint16_t from, uint16_t to, const PacketKey& p, const LocalTime& now) {
  if (r.fromZone != from || r.toZone != to) return false;
  if (!inPrefixes(r.src, p.src) || !inPrefixes(r.dst, p.dst)) return false;
  if (std::none_of(r.terms.begin(), r.terms.end(), [&](const MatchTerm& t) { return termMatches(t, p); }))
    return false;
  return !r.schedule || scheduleActive(*r.schedule, now);
}

int firstCompiledRule(const CompiledPolicy& c, uint16_t from, uint16_t to, const PacketKey& p,
                      const LocalTime& now) {
  for (size_t i = 0; i < c.rules.size(); ++i)
    if (ruleMatches(c.rules[i], from, to, p, now)) return static_cast<int>(i);
  return -1;
}

}  // namespace

Verdict evaluateCompiled(const CompiledPolicy& compiled, const PacketKey& packet, const LocalTime& now) {
  Verdict v;
  const auto from = compiled.zoneOf(packet.src);
  const auto to = compiled.zoneOf(packet.dst);
  v.fromZone = from ? *from : -1;
  v.toZone = to ? *to : -1;
  if (!from || !to) return v;
  switch (compiled.pair(*from, *to)) {
    case PairKind::Intra:
      v.path = PathKind::IntraZone;
      v.rule = firstCompiledRule(compiled, *from, *to, packet, now);
      v.allow = v.rule >= 0 ? compiled.rules[v.rule].action == Action::Allow : compiled.zones[*from].intraZoneAllow;
      return v;
    case PairKind::Physical:
      v.path = PathKind::Physical;
      return v;
    case PairKind::Logical:
      v.path = PathKind::Logical;
      v.rule = firstCompiledRule(compiled, *from, *to, packet, now);
      v.allow = v.rule >= 0 && compiled.rules[v.rule].action == Action::Allow;
      return v;
  }
  return v;
}

}  // namespace isogate::policy
