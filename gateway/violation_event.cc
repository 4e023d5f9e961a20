#include "gateway/violation_event.h"

#include "policy/model.h"

namespace isogate::gateway {

namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

policy::U128 readAddress(const uint8_t* p, int bytes) {
  policy::U128 v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | p[i];
  return v;
}

void readTransport(PacketSummary& s, const uint8_t* l4, size_t len) {
  if ((s.protocol == policy::kProtoTcp || s.protocol == policy::kProtoUdp) && len >= 4) {
    s.sport = be16(l4);
    s.dport = be16(l4 + 2);
  } else if ((s.protocol == policy::kProtoIcmp || s.protocol == policy::kProtoIcmpv6) && len >= 1) {
    s.icmpType = l4[0];
  }
}

bool isExtensionHeader(uint8_t next) { return next == 0 || next == 43 || next == 60 || next == 51; }

std::string zoneName(const policy::CompiledPolicy* p, const policy::IpAddress& a) {
  if (!p) return "";
  auto z = p->zoneOf(a);
  return z ? p->zones[*z].name : "";
}

}  // namespace

std::optional<LogTag> decodeLogPrefix(std::string_view prefix) {
  constexpr std::string_view kHead = "isogate:";
  if (!prefix.starts_with(kHead)) return std::nullopt;
  prefix.remove_prefix(kHead.size());
  size_t c1 = prefix.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  auto type = mgmt::eventTypeFromName(prefix.substr(0, c1));
  if (!type) return std::nullopt;
  std::string_view rest = prefix.substr(c1 + 1);
  size_t c2 = rest.find(':');
  std::string_view rule = rest.substr(0, c2);
  LogTag tag{*type, -1, c2 == std::string_view::npos ? "" : std::string(rest.substr(c2 + 1))};
  if (rule != "-") {
    int id = 0;
    if (rule.empty() || rule.size() > 9) return std::nullopt;
    for (char ch : rule) {
      if (ch < '0' || ch > '9') return std::nullopt;
      id = id * 10 + (ch - '0');
    }
    tag.ruleId = id;
  }
  return tag;
}

std::optional<PacketSummary> summarizePacket(std::span<const uint8_t> pkt) {
  if (pkt.empty()) return std::nullopt;
  PacketSummary s;
  int version = pkt[0] >> 4;
  if (version == 4 && pkt.size() >= 20) {
    size_t ihl = static_cast<size_t>(pkt[0] & 0x0f) * 4;
    if (ihl < 20 || ihl > pkt.size()) return std::nullopt;
    s.src = {policy::Family::V4, readAddress(&pkt[12], 4)};
    s.dst = {policy::Family::V4, readAddress(&pkt[16], 4)};
    s.protocol = pkt[9];
    bool firstFragment = (be16(&pkt[6]) & 0x1fff) == 0;
    if (firstFragment) readTransport(s, pkt.data() + ihl, pkt.size() - ihl);
    return s;
  }
  if (version == 6 && pkt.size() >= 40) {
    s.src = {policy::Family::V6, readAddress(&pkt[8], 16)};
    s.dst = {policy::Family::V6, readAddress(&pkt[24], 16)};
    uint8_t next = pkt[6];
    size_t off = 40;
    // Skip hop-by-hop, routing, destination options and AH to find the transport header.
    while (isExtensionHeader(next) && off + 8 <= pkt.size()) {
      size_t len = next == 51 ? (static_cast<size_t>(pkt[off + 1]) + 2) * 4 : (static_cast<size_t>(pkt[off + 1]) + 1) * 8;
      next = pkt[off];
      off += len;
    }
    s.protocol = next;
    if (off <= pkt.size()) readTransport(s, pkt.data() + off, pkt.size() - off);
    return s;
  }
  return std::nullopt;
}

mgmt::Event violationEvent(const LogTag& tag, const PacketSummary& pkt, const policy::CompiledPolicy* policy,
                           const std::string& inInterface) {
  mgmt::Event e;
  e.type = tag.type;
  std::string from = zoneName(policy, pkt.src), to = zoneName(policy, pkt.dst);
  e.set("from_zone", from);
  e.set("to_zone", to);
  e.set("src", policy::toString(pkt.src));
  e.set("dst", policy::toString(pkt.dst));
  e.set("proto", policy::protocolName(pkt.protocol));
  if (pkt.sport) e.set("sport", std::to_string(*pkt.sport));
  if (pkt.dport) e.set("dport", std::to_string(*pkt.dport));
  if (pkt.icmpType) e.set("icmp_type", std::to_string(*pkt.icmpType));
  const policy::CompiledRule* rule = nullptr;
  if (policy) {
    for (const auto& r : policy->rules) {
      if (static_cast<int>(r.id) == tag.ruleId) rule = &r;
    }
  }
  e.set("rule", rule ? rule->name : "");
  if (rule && !rule->ref.empty()) e.set("ref", rule->ref);
  if (!inInterface.empty()) e.set("in_interface", inInterface);
  if (tag.type == mgmt::EventType::FlowAllowed) {
    e.message = "allowed " + from + " -> " + to + (rule ? " by " + rule->name : "");
  } else if (tag.type == mgmt::EventType::Fault) {
    // The ruleset's own fail-closed refusals (policy/nft_ruleset.h, kNflogFault): a new flow
    // the policy admits, refused because the flow limit is reached. Named like the DPDK
    // data plane's report of the same condition (gateway/dpdk_backend.cc).
    e.set("component", "flow-table");
    e.set("reason", tag.detail);
    e.message = "new flow " + from + " -> " + to + " refused: the flow limit (flows.max) is reached";
  } else {
    e.message = "blocked " + from + " -> " + to;
  }
  return e;
}

}  // namespace isogate::gateway
