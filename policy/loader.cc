// Pass 1 entry points and the top level, `zones` and `isolation` sections.
// Services and rules live in loader_services.cc and loader_rules.cc.
#include "policy/loader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "policy/loader_parts.h"

namespace isogate::policy {

namespace detail {

bool isZoneOrServiceName(std::string_view s) {
  if (s.empty() || s.size() > 32 || s[0] < 'a' || s[0] > 'z') return false;
  for (const char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

bool isRuleName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (const char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

bool checkZoneOrServiceName(YamlReader& r, const yaml::Node& at, std::string_view what) {
  if (isZoneOrServiceName(at.text)) return true;
  r.error(at, "invalid " + std::string(what) + " name '" + at.text +
                  "'; use lowercase a-z, 0-9, '_' and '-', starting with a letter, at most 32 "
                  "characters");
  return false;
}

}  // namespace detail

namespace {

using detail::checkZoneOrServiceName;

void loadZoneNetworks(YamlReader& r, const yaml::Entry& e, Zone& zone) {
  const yaml::Node* list = r.list(e);
  if (!list) return;
  for (const auto& item : list->items) {
    if (!item.isScalar()) {
      r.error(item, "each network must be a string like 10.0.0.0/8, or 'any'");
      continue;
    }
    if (item.text == "any") {
      if (list->items.size() > 1) {
        r.error(item, "'any' must be the only entry of 'networks'");
        continue;
      }
      zone.isAny = true;
      zone.anyWhere = r.at(item);
      continue;
    }
    std::string why;
    if (const auto p = parsePrefix(item.text, &why)) {
      zone.networks.push_back({*p, r.at(item)});
    } else {
      r.error(item, "invalid network '" + item.text + "': " + why);
    }
  }
}

void loadZones(YamlReader& r, const yaml::Entry& section, Policy& policy) {
  const yaml::Node* map = r.mapping(section);
  if (!map) return;
  if (map->entries.empty()) {
    r.error(section.value, "'zones' must define at least one zone");
    return;
  }
  std::unordered_map<std::string, int> firstLine;
  for (const auto& e : map->entries) {
    if (!r.keyIsName(e.key)) continue;
    const std::string& name = e.key.text;
    checkZoneOrServiceName(r, e.key, "zone");
    if (const auto it = firstLine.find(name); it != firstLine.end()) {
      r.error(e.key, "duplicate zone '" + name + "' (first defined at line " +
                         std::to_string(it->second) + ")");
      continue;
    }
    firstLine.emplace(name, e.key.line);
    Zone zone;
    zone.name = name;
    zone.where = r.at(e.key);
    const std::string context = "zone '" + name + "'";
    if (!e.value.isMap() && !e.value.isNull()) {
      r.error(e.value, context + " must be a mapping with 'networks' and 'level'");
      policy.zones.push_back(std::move(zone));
      continue;
    }
    // A zone written with nothing under it reads as an empty mapping, so the
    // message is the useful "missing 'networks'" at the zone's name.
    yaml::Node body = e.value;
    body.kind = yaml::Kind::Map;
    body.line = e.key.line;
    body.column = e.key.column;
    const Fields f =
        r.fields(body, {"description", "level", "networks", "intra_zone"}, {"networks"}, context);
    if (const auto* d = f.get("description")) zone.description = r.string(*d).value_or("");
    if (const auto* l = f.get("level")) {
      zone.levelWhere = r.at(l->value);
      if (const auto v = r.choice(*l, "level", {"public", "internal", "classified"}))
        zone.level = static_cast<Level>(*v);
    }
    if (const auto* n = f.get("networks")) loadZoneNetworks(r, *n, zone);
    if (const auto* i = f.get("intra_zone")) {
      if (const auto v = r.choice(*i, "intra_zone", {"allow", "deny"}))
        zone.intraZoneAllow = *v == 0;
    }
    policy.zones.push_back(std::move(zone));
  }
}

void loadPair(YamlReader& r, const yaml::Node& item, Policy& policy) {
  if (!item.isMap()) {
    r.error(item, "each isolation pair must be a mapping {zones: [A, B], mode: physical|logical}");
    return;
  }
  IsolationPair pair;
  pair.where = r.at(item);
  const Fields f =
      r.fields(item, {"zones", "mode", "description"}, {"zones", "mode"}, "isolation pair");
  bool ok = f.has("zones") && f.has("mode");
  if (const auto* z = f.get("zones")) {
    if (!z->value.isSequence() || z->value.items.size() != 2 || !z->value.items[0].isScalar() ||
        !z->value.items[1].isScalar()) {
      r.error(z->value, "'zones' of an isolation pair must list exactly two zone names");
      ok = false;
    } else {
      pair.a = z->value.items[0].text;
      pair.aWhere = r.at(z->value.items[0]);
      pair.b = z->value.items[1].text;
      pair.bWhere = r.at(z->value.items[1]);
    }
  }
  if (const auto* m = f.get("mode")) {
    if (const auto v = r.choice(*m, "isolation mode", {"physical", "logical"})) {
      pair.mode = *v == 0 ? IsolationMode::Physical : IsolationMode::Logical;
    } else {
      ok = false;
    }
  }
  if (const auto* d = f.get("description")) r.string(*d);
  // An incomplete pair is left out: it must not silently weaken isolation.
  if (ok) policy.pairs.push_back(std::move(pair));
}

void loadIsolation(YamlReader& r, const yaml::Entry& section, Policy& policy) {
  const yaml::Node* map = r.mapping(section);
  if (!map) return;
  const Fields f = r.fields(*map, {"default", "pairs"}, {}, "'isolation'");
  if (const auto* d = f.get("default")) {
    policy.defaultWhere = r.at(d->value);
    if (const auto v = r.choice(*d, "isolation default", {"physical", "logical"}))
      policy.defaultMode = *v == 0 ? IsolationMode::Physical : IsolationMode::Logical;
  }
  if (const auto* p = f.get("pairs")) {
    if (p->value.isNull()) return;
    if (const yaml::Node* list = r.list(*p, /*allowEmpty=*/true)) {
      for (const auto& item : list->items) loadPair(r, item, policy);
    }
  }
}

}  // namespace

Policy loadPolicyText(std::string_view text, const std::string& fileName, Diagnostics& diags) {
  Policy policy;
  policy.file = fileName;
  const yaml::ParseResult parsed = yaml::parse(text, fileName, diags);
  if (!parsed.ok) return policy;
  YamlReader r(fileName, diags);
  const yaml::Node& root = parsed.root;
  if (root.isNull()) {
    r.error(root, "empty policy file");
    return policy;
  }
  if (!root.isMap()) {
    r.error(root,
            "a policy must be a mapping with version, name, zones, isolation, services "
            "and rules");
    return policy;
  }
  // Another schema version: the rest of the file would only produce noise.
  for (const auto& e : root.entries) {
    if (!e.key.isScalar() || e.key.text != "version") continue;
    if (!e.value.isScalar() || e.value.text != "1") {
      r.error(e.value, e.value.isScalar() ? "unsupported policy version '" + e.value.text +
                                                "'; this isogate reads version 1"
                                          : std::string("'version' must be 1"));
      return policy;
    }
    policy.version = 1;
    break;
  }
  const Fields f =
      r.fields(root, {"version", "name", "description", "zones", "isolation", "services", "rules"},
               {"version", "name", "zones"}, "");
  if (const auto* n = f.get("name")) policy.name = r.string(*n).value_or("");
  if (const auto* d = f.get("description")) r.string(*d);
  if (const auto* z = f.get("zones")) loadZones(r, *z, policy);
  if (const auto* i = f.get("isolation")) loadIsolation(r, *i, policy);
  if (const auto* s = f.get("services")) detail::loadServices(r, *s, policy);
  if (const auto* ru = f.get("rules")) detail::loadRules(r, *ru, policy);
  return policy;
}

Policy loadPolicyFile(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(Location{path, 0, 0},
                std::string("cannot read policy file: ") + std::strerror(errno));
    Policy p;
    p.file = path;
    return p;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return loadPolicyText(buf.str(), path, diags);
}

}  // namespace isogate::policy
