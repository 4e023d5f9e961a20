#include "policy/rule_match.h"

#include <algorithm>

#include "policy/policy_text.h"

namespace isogate::policy {

ZoneMatch findZoneOf(const Policy& policy, const IpAddress& address) {
  ZoneMatch best;
  int bestLength = -1;
  for (size_t z = 0; z < policy.zones.size(); ++z) {
    for (const auto& net : policy.zones[z].networks) {
      if (net.value.contains(address) && net.value.length > bestLength) {
        bestLength = net.value.length;
        best.zone = static_cast<int>(z);
        best.network = net.value;
        best.where = net.where;
      }
    }
  }
  if (best.zone >= 0) return best;
  for (size_t z = 0; z < policy.zones.size(); ++z) {
    if (policy.zones[z].isAny) {
      best.zone = static_cast<int>(z);
      best.where = policy.zones[z].anyWhere;
      return best;
    }
  }
  return best;
}

bool termCovers(const ServiceTerm& term, const PacketKey& packet) {
  if (term.protocol != packet.protocol) return false;
  if (term.protocol == kProtoTcp || term.protocol == kProtoUdp) {
    if (term.ports.empty()) return true;
    return std::any_of(term.ports.begin(), term.ports.end(),
                       [&](const PortRange& r) { return r.contains(packet.dport); });
  }
  if (term.protocol == kProtoIcmp || term.protocol == kProtoIcmpv6) {
    if (term.icmpTypes.empty()) return true;
    if (packet.icmpType < 0) {  // no type known: only a term listing every type covers it
      std::vector<uint8_t> types = term.icmpTypes;
      std::sort(types.begin(), types.end());
      return std::unique(types.begin(), types.end()) - types.begin() == 256;
    }
    return std::find(term.icmpTypes.begin(), term.icmpTypes.end(), packet.icmpType) !=
           term.icmpTypes.end();
  }
  return true;
}

namespace {

const std::vector<ServiceTerm>* termsOf(const Policy& policy, const ServiceRef& ref) {
  if (ref.name.empty()) return &ref.inlineTerms;
  const Service* s = policy.findService(ref.name);
  return s ? &s->terms : nullptr;
}

std::string describeRef(const Policy& policy, const ServiceRef& ref) {
  const auto* terms = termsOf(policy, ref);
  std::string inner;
  if (terms) {
    for (size_t i = 0; i < terms->size(); ++i) {
      if (i) inner += ' ';
      inner += formatServiceTerm((*terms)[i]);
    }
  }
  if (ref.name.empty()) return "{" + inner + "}";
  return ref.name + " (" + inner + ")";
}

bool inAny(const std::vector<Located<Prefix>>& nets, const IpAddress& a) {
  return std::any_of(nets.begin(), nets.end(), [&](const auto& n) { return n.value.contains(a); });
}

std::string listNetworks(const std::vector<Located<Prefix>>& nets) {
  std::string out;
  for (size_t i = 0; i < nets.size(); ++i) {
    if (i) out += ", ";
    out += toString(nets[i].value);
  }
  return out;
}

}  // namespace

bool servicesCover(const Policy& policy, const Rule& rule, const PacketKey& packet) {
  if (rule.anyService) return true;
  for (const auto& ref : rule.services) {
    const auto* terms = termsOf(policy, ref);
    if (!terms) continue;
    for (const auto& t : *terms)
      if (termCovers(t, packet)) return true;
  }
  return false;
}

std::string describePacketService(const PacketKey& packet) {
  if (packet.protocol == kProtoTcp || packet.protocol == kProtoUdp) {
    return protocolName(packet.protocol) + '/' + std::to_string(packet.dport);
  }
  if (packet.protocol == kProtoIcmp || packet.protocol == kProtoIcmpv6) {
    if (packet.icmpType < 0) return protocolName(packet.protocol);
    return protocolName(packet.protocol) + '/' +
           icmpTypeName(packet.protocol, static_cast<uint8_t>(packet.icmpType));
  }
  return "proto " + std::to_string(packet.protocol);
}

RuleMatch matchRule(const Policy& policy, const Rule& rule, int fromZone, int toZone,
                    const PacketKey& packet, const LocalTime& at) {
  auto zoneName = [&](int z) { return z >= 0 ? policy.zones[z].name : std::string("(none)"); };
  if (fromZone < 0 || toZone < 0 || rule.from.zone != zoneName(fromZone) ||
      rule.to.zone != zoneName(toZone)) {
    return {RuleMiss::OtherZones, "for " + rule.from.zone + " -> " + rule.to.zone};
  }
  if (!rule.from.networks.empty() && !inAny(rule.from.networks, packet.src)) {
    return {RuleMiss::SourceOutside, "source " + toString(packet.src) +
                                         " is outside from networks " +
                                         listNetworks(rule.from.networks)};
  }
  if (!rule.to.networks.empty() && !inAny(rule.to.networks, packet.dst)) {
    return {RuleMiss::DestinationOutside, "destination " + toString(packet.dst) +
                                              " is outside to networks " +
                                              listNetworks(rule.to.networks)};
  }
  if (!servicesCover(policy, rule, packet)) {
    std::string list;
    for (size_t i = 0; i < rule.services.size(); ++i) {
      if (i) list += ", ";
      list += describeRef(policy, rule.services[i]);
    }
    return {RuleMiss::ServiceMismatch,
            describePacketService(packet) + " is not in services " + list};
  }
  if (rule.schedule && !scheduleActive(*rule.schedule, at)) {
    return {RuleMiss::ScheduleInactive, "schedule " + formatSchedule(*rule.schedule) +
                                            " is inactive at " + formatLocalTime(at)};
  }
  std::string why = rule.anyService ? std::string("any service")
                                    : "service covers " + describePacketService(packet);
  if (rule.schedule) why += ", schedule " + formatSchedule(*rule.schedule) + " active";
  return {RuleMiss::None, why};
}

}  // namespace isogate::policy
