// The `services` section and service bodies (also used inline in rules).
#include <charconv>
#include <unordered_map>

#include "policy/loader_parts.h"
#include "policy/spelling.h"

namespace isogate::policy::detail {

namespace {

std::optional<long> wholeNumber(std::string_view t) {
  long v = 0;
  if (t.empty() || t.size() > 9) return std::nullopt;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return v;
}

std::vector<std::string> icmpNames(uint8_t proto) {
  std::vector<std::string> names;
  for (int t = 0; t < 256; ++t) {
    std::string n = icmpTypeName(proto, static_cast<uint8_t>(t));
    if (n != std::to_string(t)) names.push_back(std::move(n));
  }
  return names;
}

void loadPorts(YamlReader& r, const yaml::Entry& e, ServiceTerm& term) {
  const yaml::Node* list = r.list(e);
  if (!list) return;
  for (const auto& item : list->items) {
    if (!item.isScalar()) {
      r.error(item, "each port must be a number or a range like \"1024-65535\"");
      continue;
    }
    std::string why;
    if (const auto range = parsePortItem(item.text, &why)) {
      term.ports.push_back(*range);
    } else {
      r.error(item, why);
    }
  }
}

void loadIcmpTypes(YamlReader& r, const yaml::Entry& e, ServiceTerm& term) {
  const yaml::Node* list = r.list(e);
  if (!list) return;
  const std::string proto = protocolName(term.protocol);
  for (const auto& item : list->items) {
    if (!item.isScalar()) {
      r.error(item, "each " + proto + " type must be a name like echo-request or a number");
      continue;
    }
    if (const auto number = wholeNumber(item.text)) {
      if (*number >= 0 && *number <= 255) {
        term.icmpTypes.push_back(static_cast<uint8_t>(*number));
      } else {
        r.error(item, "invalid " + proto + " type '" + item.text + "'; types are 0..255");
      }
      continue;
    }
    if (const auto type = icmpTypeByName(term.protocol, item.text)) {
      term.icmpTypes.push_back(*type);
    } else {
      r.error(item, "unknown " + proto + " type '" + item.text + "'" +
                        didYouMean(item.text, icmpNames(term.protocol)));
    }
  }
}

}  // namespace

std::optional<PortRange> parsePortItem(std::string_view text, std::string* why) {
  // Built by appending: GCC 12 at -O3 reports a false -Wrestrict for "'" + std::string(...).
  std::string quoted(1, '\'');
  quoted.append(text).push_back('\'');
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    const auto n = wholeNumber(text);
    if (!n) {
      *why =
          "invalid port " + quoted + "; expected a number 1..65535 or a range like \"1024-65535\"";
      return std::nullopt;
    }
    if (*n < 1 || *n > 65535) {
      *why = "invalid port " + quoted + "; ports are 1..65535";
      return std::nullopt;
    }
    return PortRange{static_cast<uint16_t>(*n), static_cast<uint16_t>(*n)};
  }
  const auto a = wholeNumber(text.substr(0, dash));
  const auto b = wholeNumber(text.substr(dash + 1));
  if (!a || !b) {
    *why = "invalid port range " + quoted + "; expected \"first-last\" like \"1024-65535\"";
    return std::nullopt;
  }
  if (*a < 1 || *a > 65535 || *b < 1 || *b > 65535) {
    *why = "invalid port range " + quoted + "; ports are 1..65535";
    return std::nullopt;
  }
  if (*a > *b) {
    *why = "invalid port range " + quoted + "; the first port is greater than the last";
    return std::nullopt;
  }
  return PortRange{static_cast<uint16_t>(*a), static_cast<uint16_t>(*b)};
}

std::vector<ServiceTerm> loadServiceTerms(YamlReader& r, const yaml::Node& body,
                                          const std::string& context) {
  std::vector<ServiceTerm> terms;
  if (body.entries.empty()) {
    r.error(body, context + " names no protocol; expected e.g. {tcp: [443]}");
    return terms;
  }
  const Fields f = r.fields(body, {"tcp", "udp", "icmp", "icmpv6"}, {}, context);
  for (const auto& e : body.entries) {
    if (f.get(e.key.text) != &e) continue;  // unknown or duplicate: already reported
    ServiceTerm term;
    term.where = r.at(e.key);
    if (e.key.text == "tcp" || e.key.text == "udp") {
      term.protocol = e.key.text == "tcp" ? kProtoTcp : kProtoUdp;
      loadPorts(r, e, term);
      if (term.ports.empty()) continue;
    } else {
      term.protocol = e.key.text == "icmp" ? kProtoIcmp : kProtoIcmpv6;
      loadIcmpTypes(r, e, term);
      if (term.icmpTypes.empty()) continue;
    }
    terms.push_back(std::move(term));
  }
  return terms;
}

void loadServices(YamlReader& r, const yaml::Entry& section, Policy& policy) {
  if (section.value.isNull()) return;  // `services:` with nothing under it
  const yaml::Node* map = r.mapping(section);
  if (!map) return;
  std::unordered_map<std::string, int> firstLine;
  for (const auto& e : map->entries) {
    if (!r.keyIsName(e.key)) continue;
    const std::string& name = e.key.text;
    checkZoneOrServiceName(r, e.key, "service");
    if (const auto it = firstLine.find(name); it != firstLine.end()) {
      r.error(e.key, "duplicate service '" + name + "' (first defined at line " +
                         std::to_string(it->second) + ")");
      continue;
    }
    firstLine.emplace(name, e.key.line);
    Service s;
    s.name = name;
    s.where = r.at(e.key);
    const std::string context = "service '" + name + "'";
    if (!e.value.isMap()) {
      r.error(e.value, context + " must be a mapping of protocols to ports, e.g. {tcp: [443]}");
    } else {
      s.terms = loadServiceTerms(r, e.value, context);
    }
    policy.services.push_back(std::move(s));
  }
}

}  // namespace isogate::policy::detail
