#include "policy/nft_text.h"

#include <bit>

namespace isogate::policy {

namespace {

const char* fieldText(NftField f) {
  switch (f) {
    case NftField::NfProto: return "meta nfproto";
    case NftField::L4Proto: return "meta l4proto";
    case NftField::IifName: return "iifname";
    case NftField::OifName: return "oifname";
    case NftField::Saddr4: return "ip saddr";
    case NftField::Daddr4: return "ip daddr";
    case NftField::Saddr6: return "ip6 saddr";
    case NftField::Daddr6: return "ip6 daddr";
    case NftField::ThDport: return "th dport";
    case NftField::IcmpType: return "icmp type";
    case NftField::Icmpv6Type: return "icmpv6 type";
    case NftField::CtState: return "ct state";
    case NftField::MetaDay: return "meta day";
    case NftField::MetaHour: return "meta hour";
  }
  return "?";
}

std::optional<Family> addressFamily(NftField f) {
  if (f == NftField::Saddr4 || f == NftField::Daddr4) return Family::V4;
  if (f == NftField::Saddr6 || f == NftField::Daddr6) return Family::V6;
  return std::nullopt;
}

std::string number(U128 v) { return std::to_string(static_cast<unsigned long long>(v)); }

std::string scalar(NftField f, U128 v) {
  if (f == NftField::NfProto) {
    if (v == kNfprotoIpv4) return "ipv4";
    if (v == kNfprotoIpv6) return "ipv6";
  }
  if (f == NftField::L4Proto) {
    switch (static_cast<uint8_t>(v)) {
      case kProtoTcp: return "tcp";
      case kProtoUdp: return "udp";
      case kProtoIcmp: return "icmp";
      case kProtoIcmpv6: return "ipv6-icmp";
    }
  }
  return number(v);
}

std::string valueText(NftField f, const NftInterval& i) {
  if (auto fam = addressFamily(f)) return renderNftAddress(i, *fam);
  if (i.first == i.last) return scalar(f, i.first);
  return number(i.first) + "-" + number(i.last);
}

std::string ctStateText(uint32_t mask) {
  static constexpr std::pair<uint32_t, const char*> kBits[] = {
      {kCtInvalid, "invalid"}, {kCtEstablished, "established"}, {kCtRelated, "related"}, {kCtNew, "new"}};
  std::string s;
  for (const auto& [bit, name] : kBits) {
    if (!(mask & bit)) continue;
    if (!s.empty()) s += ",";
    s += name;
  }
  return s;
}

std::string verdictText(const NftVerdict& v) {
  switch (v.kind) {
    case NftVerdictKind::None: return "";
    case NftVerdictKind::Accept: return "accept";
    case NftVerdictKind::Drop: return "drop";
    case NftVerdictKind::Jump: return "jump " + v.chain;
    case NftVerdictKind::Goto: return "goto " + v.chain;
  }
  return "";
}

const char* hookText(NftHook h) {
  switch (h) {
    case NftHook::Input: return "input";
    case NftHook::Forward: return "forward";
    case NftHook::Output: return "output";
  }
  return "forward";
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

void appendElements(std::string& out, const NftSet& s) {
  if (s.elements.empty()) return;
  const Family fam = s.key == NftKeyType::Ipv4Addr ? Family::V4 : Family::V6;
  out += "\t\telements = {";
  for (size_t i = 0; i < s.elements.size(); ++i) {
    const auto& e = s.elements[i];
    out += i == 0 ? " " : ",\n\t\t\t     ";
    out += renderNftAddress(e.key, fam);
    if (s.isMap) out += " : " + verdictText(e.verdict);
  }
  out += " }\n";
}

}  // namespace

std::string renderNftAddress(const NftInterval& i, Family family) {
  const int bits = familyBits(family);
  const U128 diff = i.last - i.first;
  auto addr = [&](U128 v) { return toString(IpAddress{family, v}); };
  if (diff == 0) return addr(i.first);
  const bool pow2 = (diff & (diff + 1)) == 0;
  if (pow2 && (i.first & diff) == 0) {
    const int hostBits = std::popcount(static_cast<uint64_t>(diff)) + std::popcount(static_cast<uint64_t>(diff >> 64));
    return addr(i.first) + "/" + std::to_string(bits - hostBits);
  }
  return addr(i.first) + "-" + addr(i.last);
}

std::string renderNftMatch(const NftMatch& m) {
  std::string s = fieldText(m.field);
  s += m.negate ? " != " : " ";
  if (m.field == NftField::CtState) return s + ctStateText(m.mask);
  if (m.field == NftField::IifName || m.field == NftField::OifName) return s + quoted(m.text);
  if (!m.setName.empty()) return s + "@" + m.setName;
  if (m.values.size() == 1) return s + valueText(m.field, m.values[0]);
  s += "{ ";
  for (size_t i = 0; i < m.values.size(); ++i) {
    if (i) s += ", ";
    s += valueText(m.field, m.values[i]);
  }
  return s + " }";
}

std::string renderNftRule(const NftRule& r) {
  std::string s;
  auto add = [&](const std::string& part) {
    if (part.empty()) return;
    if (!s.empty()) s += " ";
    s += part;
  };
  for (const auto& m : r.matches) add(renderNftMatch(m));
  if (r.ctCountOver) add("ct count over " + std::to_string(*r.ctCountOver));
  if (!r.counter.empty()) add("counter name " + quoted(r.counter));
  if (r.limit) {
    add("limit rate " + std::to_string(r.limit->perSecond) + "/second burst " + std::to_string(r.limit->burst) +
        " packets");
  }
  if (r.log) add("log prefix " + quoted(r.log->prefix) + " group " + std::to_string(r.log->group));
  if (r.vmap) add(std::string(fieldText(r.vmap->field)) + " vmap @" + r.vmap->map);
  add(verdictText(r.verdict));
  if (!r.comment.empty()) add("comment " + quoted(r.comment));
  return s;
}

std::string renderNftText(const NftRuleset& rs) {
  std::string out;
  out += "#!/usr/sbin/nft -f\n";
  out += "# isogate policy \"" + rs.policyName + "\" " + rs.policyDigest + "\n";
  out += "# Generated by isogate; load with `nft -f`. The three table statements below run as one\n";
  out += "# transaction: the old table inet isogate is replaced as a whole, conntrack is kept.\n";
  out += "table inet isogate {}\n";
  out += "delete table inet isogate\n";
  out += "table inet isogate {\n";
  for (const auto& c : rs.counters) out += "\tcounter " + c.name + " {\n\t}\n";
  for (const auto& s : rs.sets) {
    const char* key = s.key == NftKeyType::Ipv4Addr ? "ipv4_addr" : "ipv6_addr";
    out += std::string("\t") + (s.isMap ? "map " : "set ") + s.name + " {\n";
    out += std::string("\t\ttype ") + key + (s.isMap ? " : verdict\n" : "\n");
    out += "\t\tflags interval\n";
    appendElements(out, s);
    out += "\t}\n";
  }
  for (const auto& c : rs.chains) {
    out += "\tchain " + c.name + " {\n";
    if (c.base) {
      out += std::string("\t\ttype filter hook ") + hookText(c.base->hook) + " priority " +
             (c.base->priority == 0 ? std::string("filter") : std::to_string(c.base->priority)) + "; policy " +
             (c.base->policyDrop ? "drop" : "accept") + ";\n";
    }
    for (const auto& r : c.rules) out += "\t\t" + renderNftRule(r) + "\n";
    out += "\t}\n";
  }
  out += "}\n";
  return out;
}

}  // namespace isogate::policy
