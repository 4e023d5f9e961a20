#include "policy/trace.h"

#include "policy/evaluate.h"
#include "policy/policy_text.h"

namespace isogate::policy {

namespace {

const IsolationPair* findPair(const Policy& policy, const std::string& a, const std::string& b) {
  for (const auto& p : policy.pairs)
    if ((p.a == a && p.b == b) || (p.a == b && p.b == a)) return &p;
  return nullptr;
}

std::string zoneName(const Policy& policy, int z) {
  return z >= 0 ? policy.zones[z].name : std::string();
}

std::string endpointText(const PacketKey& p, bool source) {
  const IpAddress& a = source ? p.src : p.dst;
  const bool ports = p.protocol == kProtoTcp || p.protocol == kProtoUdp;
  std::string addr = a.family == Family::V6 && ports ? "[" + toString(a) + "]" : toString(a);
  if (ports) addr += ':' + std::to_string(source ? p.sport : p.dport);
  return addr;
}

std::string zoneLine(const Policy& policy, const IpAddress& a, const ZoneMatch& m) {
  std::string out = toString(a);
  if (m.zone < 0) return out + " is in no zone (the policy has no `any` zone)";
  out += " in zone " + policy.zones[m.zone].name;
  if (m.network) {
    out += " (network " + toString(*m.network);
  } else {
    out += " (catch-all `any`";
  }
  const std::string line = formatLine(m.where);
  if (!line.empty()) out += ", " + line;
  return out + ")";
}

}  // namespace

Trace tracePacket(const Policy& policy, const PacketKey& packet, const LocalTime& at) {
  Trace t;
  t.packet = packet;
  t.at = at;
  t.src = findZoneOf(policy, packet.src);
  t.dst = findZoneOf(policy, packet.dst);
  t.verdict = evaluatePolicy(policy, packet, at);

  bool explainedAllow = false;
  if (t.src.zone < 0 || t.dst.zone < 0) {
    t.path = PathKind::Unzoned;
  } else if (t.src.zone == t.dst.zone) {
    t.path = PathKind::IntraZone;
    explainedAllow = policy.zones[t.src.zone].intraZoneAllow;
  } else {
    const auto mode = policy.isolation(zoneName(policy, t.src.zone), zoneName(policy, t.dst.zone));
    t.path = mode == IsolationMode::Physical ? PathKind::Physical : PathKind::Logical;
  }

  // Rules are consulted for logical pairs and within a zone; a physical pair
  // never reaches them (the checker rejects such rules anyway).
  if (t.path == PathKind::Logical || t.path == PathKind::IntraZone) {
    for (size_t i = 0; i < policy.rules.size(); ++i) {
      const Rule& r = policy.rules[i];
      if (r.from.zone != zoneName(policy, t.src.zone) || r.to.zone != zoneName(policy, t.dst.zone))
        continue;
      TraceStep step;
      step.rule = static_cast<int>(i);
      step.reached = t.explainedRule < 0;
      step.match = matchRule(policy, r, t.src.zone, t.dst.zone, packet, at);
      if (step.reached && step.match.matched()) {
        t.explainedRule = static_cast<int>(i);
        explainedAllow = r.action == Action::Allow;
      }
      t.steps.push_back(std::move(step));
    }
  }
  if (t.path == PathKind::Physical || t.path == PathKind::Unzoned) explainedAllow = false;

  t.consistent = t.verdict.rule == t.explainedRule && t.verdict.allow == explainedAllow &&
                 t.verdict.fromZone == t.src.zone && t.verdict.toZone == t.dst.zone &&
                 t.verdict.path == t.path;
  return t;
}

std::string formatTrace(const Policy& policy, const Trace& t, const std::string& digest) {
  const PacketKey& p = t.packet;
  std::string out;
  out += "packet       " + describePacketService(p) + ' ' + endpointText(p, true) + " -> " +
         endpointText(p, false) + " at " + formatLocalTime(t.at) + '\n';
  out += "source       " + zoneLine(policy, p.src, t.src) + '\n';
  out += "destination  " + zoneLine(policy, p.dst, t.dst) + '\n';

  const std::string from = zoneName(policy, t.src.zone), to = zoneName(policy, t.dst.zone);
  switch (t.path) {
    case PathKind::Unzoned:
      out += "isolation    none: an address outside every zone is always dropped\n";
      break;
    case PathKind::IntraZone:
      out += "isolation    intra-zone: both hosts in " + from + " (intra_zone " +
             (policy.zones[t.src.zone].intraZoneAllow ? "allow" : "deny") + ")\n";
      break;
    case PathKind::Physical:
    case PathKind::Logical: {
      const IsolationPair* pair = findPair(policy, from, to);
      out += "isolation    " + from + " <-> " + to + ": " + pathKindName(t.path);
      if (pair) {
        out += " (pair at " + formatLine(pair->where) + ")\n";
      } else {
        const std::string line = formatLine(policy.defaultWhere);
        out += line.empty() ? std::string(" (the default)\n")
                            : " (isolation default at " + line + ")\n";
      }
      break;
    }
  }

  if (t.path == PathKind::Logical || t.path == PathKind::IntraZone) {
    if (t.steps.empty()) {
      out += "rules        none for " + from + " -> " + to + '\n';
    } else {
      out += "rules for " + from + " -> " + to + " (first match wins):\n";
      for (const auto& s : t.steps) {
        const Rule& r = policy.rules[s.rule];
        out += "  " + formatLine(r.where) + ' ' + r.name + ": ";
        if (!s.reached) {
          out += "not reached (an earlier rule decided)\n";
        } else if (s.match.matched()) {
          out += std::string("MATCH, ") + actionName(r.action) + " (" + s.match.reason + ")\n";
        } else {
          out += "no match: " + s.match.reason + '\n';
        }
      }
    }
  }

  out += "verdict      ";
  out += t.verdict.allow ? "allow" : "deny";
  if (t.verdict.rule >= 0 && t.verdict.rule < static_cast<int>(policy.rules.size())) {
    const Rule& r = policy.rules[t.verdict.rule];
    out += " by rule '" + r.name + "' at " + formatLine(r.where);
    if (!r.ref.empty()) out += " (ref " + r.ref + ")";
    if (t.verdict.allow) out += "; stateful: replies and related ICMP pass";
    if (r.log) out += "; new flows are logged";
  } else if (t.path == PathKind::Physical) {
    out += ": physical isolation, no rule can open it (reported as physical-isolation, critical)";
  } else if (t.path == PathKind::Logical) {
    out += ": no rule matched, default deny of a logical pair (reported as logical-isolation)";
  } else if (t.path == PathKind::IntraZone) {
    out += std::string(": no rule matched, intra_zone ") + (t.verdict.allow ? "allow" : "deny") +
           " of " + from;
  } else {
    out += ": address in no zone";
  }
  out += '\n';
  if (!t.consistent) {
    out +=
        "warning      the explanation above disagrees with the evaluator; the verdict line is the "
        "evaluator's (please report this)\n";
  }
  out += "policy       " + policy.name;
  if (!digest.empty()) out += ' ' + digest;
  out += '\n';
  return out;
}

nlohmann::ordered_json traceToJson(const Policy& policy, const Trace& t,
                                   const std::string& digest) {
  using json = nlohmann::ordered_json;
  const PacketKey& p = t.packet;
  json j;
  j["verdict"] = t.verdict.allow ? "allow" : "deny";
  auto zoneOrNull = [&](int z) { return z >= 0 ? json(policy.zones[z].name) : json(nullptr); };
  j["from_zone"] = zoneOrNull(t.verdict.fromZone);
  j["to_zone"] = zoneOrNull(t.verdict.toZone);
  j["isolation"] = pathKindName(t.verdict.path);
  const bool haveRule =
      t.verdict.rule >= 0 && t.verdict.rule < static_cast<int>(policy.rules.size());
  if (haveRule) {
    const Rule& r = policy.rules[t.verdict.rule];
    j["rule"] = r.name;
    j["location"] = formatLine(r.where);
    j["ref"] = r.ref.empty() ? json(nullptr) : json(r.ref);
    j["log"] = r.log;
  } else {
    j["rule"] = nullptr;
    j["location"] = nullptr;
    j["ref"] = nullptr;
  }
  j["policy"] = digest.empty() ? json(nullptr) : json(digest);
  j["policy_name"] = policy.name;
  json packet;
  packet["src"] = toString(p.src);
  packet["dst"] = toString(p.dst);
  packet["proto"] = protocolName(p.protocol);
  if (p.protocol == kProtoTcp || p.protocol == kProtoUdp) {
    packet["sport"] = p.sport;
    packet["dport"] = p.dport;
  }
  if ((p.protocol == kProtoIcmp || p.protocol == kProtoIcmpv6) && p.icmpType >= 0) {
    packet["icmp_type"] = icmpTypeName(p.protocol, static_cast<uint8_t>(p.icmpType));
  }
  j["packet"] = packet;
  j["at"] = formatLocalTime(t.at);
  auto net = [](const ZoneMatch& m) {
    return m.network ? json(toString(*m.network)) : json(nullptr);
  };
  j["src_network"] = net(t.src);
  j["dst_network"] = net(t.dst);
  json steps = json::array();
  for (const auto& s : t.steps) {
    const Rule& r = policy.rules[s.rule];
    json o;
    o["rule"] = r.name;
    o["location"] = formatLine(r.where);
    o["action"] = actionName(r.action);
    o["result"] = !s.reached ? "not-reached" : s.match.matched() ? "match" : "no-match";
    o["reason"] = s.reached ? json(s.match.reason) : json(nullptr);
    steps.push_back(o);
  }
  j["considered"] = steps;
  j["consistent"] = t.consistent;
  return j;
}

}  // namespace isogate::policy
