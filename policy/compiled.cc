#include "policy/compiled.h"

#include <algorithm>

namespace isogate::policy {

std::optional<uint16_t> CompiledPolicy::zoneOf(const IpAddress& a) const {
  const auto& table = a.family == Family::V4 ? prefixes4 : prefixes6;
  // The table is sorted by base and disjoint, so only the last entry starting at
  // or below the address can hold it.
  auto it = std::upper_bound(table.begin(), table.end(), a.value,
                             [](U128 v, const ZonePrefix& zp) { return v < zp.prefix.base; });
  if (it != table.begin()) {
    const ZonePrefix& candidate = *std::prev(it);
    if (candidate.prefix.contains(a)) return candidate.zone;
  }
  if (anyZone >= 0) return static_cast<uint16_t>(anyZone);
  return std::nullopt;
}

int CompiledPolicy::findZone(const std::string& n) const {
  for (size_t i = 0; i < zones.size(); ++i)
    if (zones[i].name == n) return static_cast<int>(i);
  return -1;
}

const char* pathKindName(PathKind k) {
  switch (k) {
    case PathKind::IntraZone: return "intra-zone";
    case PathKind::Physical: return "physical";
    case PathKind::Logical: return "logical";
    case PathKind::Unzoned: return "unzoned";
  }
  return "unzoned";
}

bool termMatches(const MatchTerm& t, const PacketKey& p) {
  if (p.protocol < t.protoFirst || p.protocol > t.protoLast) return false;
  if (p.protocol == kProtoTcp || p.protocol == kProtoUdp) {
    return p.dport >= t.portFirst && p.dport <= t.portLast;
  }
  if (p.protocol == kProtoIcmp || p.protocol == kProtoIcmpv6) {
    // A packet without a type (e.g. a trace query that gave none) only matches a
    // term that accepts every type.
    if (p.icmpType < 0) return t.icmpFirst == 0 && t.icmpLast == 255;
    return p.icmpType >= t.icmpFirst && p.icmpType <= t.icmpLast;
  }
  return true;
}

}  // namespace isogate::policy
