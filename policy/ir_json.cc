#include "policy/ir_json.h"

#include <cstdio>
#include <stdexcept>

namespace isogate::policy {
namespace {

using nlohmann::json;

constexpr const char* kFormat = "isogate-ir/1";
constexpr const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

const char* pairKindName(PairKind k) {
  switch (k) {
    case PairKind::Intra: return "intra-zone";
    case PairKind::Physical: return "physical";
    case PairKind::Logical: return "logical";
  }
  return "physical";
}

std::string hhmm(int minutes) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

std::string locationText(const Location& l) {
  return l.file + ":" + std::to_string(l.line) + ":" + std::to_string(l.column);
}

json zoneRef(const CompiledPolicy& c, size_t id) {
  if (id < c.zones.size()) return c.zones[id].name;
  return id;  // a broken IR stays visible as it is
}

json range(int a, int b) { return json::array({a, b}); }

}  // namespace

json irToJson(const CompiledPolicy& c) {
  json j;
  j["format"] = kFormat;
  j["name"] = c.name;
  j["source_file"] = c.sourceFile;
  j["digest"] = c.digest;
  j["zones"] = json::array();
  for (size_t i = 0; i < c.zones.size(); ++i) {
    const CompiledZone& z = c.zones[i];
    j["zones"].push_back({{"id", i},
                          {"name", z.name},
                          {"level", levelName(z.level)},
                          {"any", z.isAny},
                          {"intra_zone", z.intraZoneAllow ? "allow" : "deny"}});
  }
  j["any_zone"] = c.anyZone >= 0 ? zoneRef(c, c.anyZone) : json(nullptr);
  j["prefixes"] = {{"v4", json::array()}, {"v6", json::array()}};
  for (const auto& [key, table] : {std::pair{"v4", &c.prefixes4}, std::pair{"v6", &c.prefixes6}}) {
    for (const ZonePrefix& zp : *table) j["prefixes"][key].push_back({{"prefix", toString(zp.prefix)}, {"zone", zoneRef(c, zp.zone)}});
  }
  j["matrix"] = json::array();
  const size_t n = c.zones.size();
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b)
      if (a * n + b < c.matrix.size())
        j["matrix"].push_back({{"from", zoneRef(c, a)}, {"to", zoneRef(c, b)}, {"mode", pairKindName(c.matrix[a * n + b])}});
  j["rules"] = json::array();
  for (const CompiledRule& r : c.rules) {
    json rule;
    rule["id"] = r.id;
    rule["name"] = r.name;
    rule["ref"] = r.ref;
    rule["location"] = locationText(r.where);
    rule["from"] = zoneRef(c, r.fromZone);
    rule["to"] = zoneRef(c, r.toZone);
    rule["src"] = json::array();
    for (const Prefix& p : r.src) rule["src"].push_back(toString(p));
    rule["dst"] = json::array();
    for (const Prefix& p : r.dst) rule["dst"].push_back(toString(p));
    rule["terms"] = json::array();
    for (const MatchTerm& t : r.terms) {
      rule["terms"].push_back({{"proto", range(t.protoFirst, t.protoLast)},
                               {"port", range(t.portFirst, t.portLast)},
                               {"icmp", range(t.icmpFirst, t.icmpLast)}});
    }
    rule["action"] = actionName(r.action);
    rule["log"] = r.log;
    if (r.schedule) {
      json days = json::array();
      for (int d = 0; d < 7; ++d)
        if ((r.schedule->days >> d) & 1) days.push_back(kDays[d]);
      rule["schedule"] = {{"days", days}, {"hours", hhmm(r.schedule->startMinute) + "-" + hhmm(r.schedule->endMinute)}};
    } else {
      rule["schedule"] = nullptr;
    }
    j["rules"].push_back(std::move(rule));
  }
  return j;
}

namespace {

// Parse failure with the JSON path where it happened.
struct IrError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class IrReader {
 public:
  CompiledPolicy read(const json& j) {
    if (!j.is_object()) fail("", "expected an object");
    if (str(j, "format", "") != kFormat) fail("format", std::string("expected \"") + kFormat + "\"");
    c_.name = str(j, "name", "name");
    c_.sourceFile = str(j, "source_file", "source_file");
    c_.digest = str(j, "digest", "digest");
    readZones(field(j, "zones", ""));
    const json& any = field(j, "any_zone", "");
    c_.anyZone = any.is_null() ? -1 : zoneId(any, "any_zone");
    const json& prefixes = field(j, "prefixes", "");
    c_.prefixes4 = readTable(field(prefixes, "v4", "prefixes."), "prefixes.v4");
    c_.prefixes6 = readTable(field(prefixes, "v6", "prefixes."), "prefixes.v6");
    readMatrix(field(j, "matrix", ""));
    const json& rules = array(field(j, "rules", ""), "rules");
    for (size_t i = 0; i < rules.size(); ++i) c_.rules.push_back(readRule(rules[i], "rules[" + std::to_string(i) + "]"));
    return std::move(c_);
  }

 private:
  [[noreturn]] static void fail(const std::string& path, const std::string& why) {
    throw IrError(path.empty() ? why : path + ": " + why);
  }

  static const json& field(const json& j, const char* key, const std::string& parent) {
    const std::string path = parent + key;
    if (!j.is_object() || !j.contains(key)) fail(path, "missing");
    return j.at(key);
  }
  static const json& array(const json& j, const std::string& path) {
    if (!j.is_array()) fail(path, "expected a list");
    return j;
  }
  static std::string str(const json& j, const char* key, const std::string& path) {
    const json& v = field(j, key, "");
    if (!v.is_string()) fail(path.empty() ? key : path, "expected a string");
    return v.get<std::string>();
  }
  static bool boolean(const json& j, const char* key, const std::string& path) {
    const json& v = field(j, key, path + ".");
    if (!v.is_boolean()) fail(path + "." + key, "expected true or false");
    return v.get<bool>();
  }
  static long integer(const json& v, long lo, long hi, const std::string& path) {
    if (!v.is_number_integer() || v.get<long>() < lo || v.get<long>() > hi)
      fail(path, "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
    return v.get<long>();
  }

  uint16_t zoneId(const json& v, const std::string& path) const {
    if (v.is_number_integer()) return static_cast<uint16_t>(integer(v, 0, 0xffff, path));
    if (!v.is_string()) fail(path, "expected a zone name");
    for (size_t i = 0; i < c_.zones.size(); ++i)
      if (c_.zones[i].name == v.get<std::string>()) return static_cast<uint16_t>(i);
    fail(path, "no zone named '" + v.get<std::string>() + "'");
  }

  static Prefix prefix(const json& v, const std::string& path) {
    if (!v.is_string()) fail(path, "expected a CIDR string");
    std::string why;
    auto p = parsePrefix(v.get<std::string>(), &why);
    if (!p) fail(path, why);
    return *p;
  }

  void readZones(const json& zones) {
    array(zones, "zones");
    for (size_t i = 0; i < zones.size(); ++i) {
      const std::string path = "zones[" + std::to_string(i) + "]";
      const json& z = zones[i];
      CompiledZone cz;
      cz.name = str(z, "name", path + ".name");
      const std::string level = str(z, "level", path + ".level");
      if (level == "public") cz.level = Level::Public;
      else if (level == "internal") cz.level = Level::Internal;
      else if (level == "classified") cz.level = Level::Classified;
      else fail(path + ".level", "expected public, internal or classified");
      cz.isAny = boolean(z, "any", path);
      const std::string intra = str(z, "intra_zone", path + ".intra_zone");
      if (intra != "allow" && intra != "deny") fail(path + ".intra_zone", "expected allow or deny");
      cz.intraZoneAllow = intra == "allow";
      c_.zones.push_back(std::move(cz));
    }
  }

  std::vector<ZonePrefix> readTable(const json& list, const std::string& path) const {
    array(list, path);
    std::vector<ZonePrefix> out;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string at = path + "[" + std::to_string(i) + "]";
      out.push_back({prefix(field(list[i], "prefix", at + "."), at + ".prefix"),
                     zoneId(field(list[i], "zone", at + "."), at + ".zone")});
    }
    return out;
  }

  void readMatrix(const json& list) {
    array(list, "matrix");
    const size_t n = c_.zones.size();
    c_.matrix.assign(n * n, PairKind::Physical);
    std::vector<char> seen(n * n, 0);
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string at = "matrix[" + std::to_string(i) + "]";
      const uint16_t a = zoneId(field(list[i], "from", at + "."), at + ".from");
      const uint16_t b = zoneId(field(list[i], "to", at + "."), at + ".to");
      if (a >= n || b >= n) fail(at, "names a zone id that does not exist");
      if (seen[a * n + b]) fail(at, "repeats " + c_.zones[a].name + " -> " + c_.zones[b].name);
      seen[a * n + b] = 1;
      const std::string mode = str(list[i], "mode", at + ".mode");
      if (mode == "intra-zone") c_.matrix[a * n + b] = PairKind::Intra;
      else if (mode == "physical") c_.matrix[a * n + b] = PairKind::Physical;
      else if (mode == "logical") c_.matrix[a * n + b] = PairKind::Logical;
      else fail(at + ".mode", "expected intra-zone, physical or logical");
    }
    for (size_t k = 0; k < n * n; ++k)
      if (!seen[k]) fail("matrix", "lacks " + c_.zones[k / n].name + " -> " + c_.zones[k % n].name);
  }

  static Location location(const std::string& text, const std::string& path) {
    const auto colon2 = text.rfind(':');
    const auto colon1 = colon2 == std::string::npos || colon2 == 0 ? std::string::npos : text.rfind(':', colon2 - 1);
    if (colon1 == std::string::npos) fail(path, "expected FILE:LINE:COLUMN");
    Location l;
    l.file = text.substr(0, colon1);
    try {
      size_t used = 0;
      const std::string line = text.substr(colon1 + 1, colon2 - colon1 - 1);
      const std::string column = text.substr(colon2 + 1);
      l.line = std::stoi(line, &used);
      if (used != line.size()) throw std::invalid_argument("line");
      l.column = std::stoi(column, &used);
      if (used != column.size()) throw std::invalid_argument("column");
    } catch (const std::logic_error&) {
      fail(path, "expected FILE:LINE:COLUMN");
    }
    return l;
  }

  static std::pair<long, long> pairOf(const json& t, const char* key, long hi, const std::string& path) {
    const json& v = field(t, key, path + ".");
    const std::string at = path + "." + key;
    if (!v.is_array() || v.size() != 2) fail(at, "expected [first, last] in 0.." + std::to_string(hi));
    return {integer(v[0], 0, hi, at), integer(v[1], 0, hi, at)};
  }

  static Schedule schedule(const json& s, const std::string& path) {
    Schedule out;
    out.days = 0;
    const json& days = array(field(s, "days", path + "."), path + ".days");
    for (const json& d : days) {
      int found = -1;
      for (int i = 0; i < 7; ++i)
        if (d.is_string() && d.get<std::string>() == kDays[i]) found = i;
      if (found < 0) fail(path + ".days", "expected mon..sun");
      out.days = static_cast<uint8_t>(out.days | (1 << found));
    }
    const std::string hours = str(s, "hours", path + ".hours");
    unsigned h1 = 0, m1 = 0, h2 = 0, m2 = 0;
    char tail = 0;
    if (hours.size() != 11 || std::sscanf(hours.c_str(), "%2u:%2u-%2u:%2u%c", &h1, &m1, &h2, &m2, &tail) != 4 ||
        m1 > 59 || m2 > 59 || h1 > 23 || h2 * 60 + m2 > 1440 || h2 * 60 + m2 == 0)
      fail(path + ".hours", "expected HH:MM-HH:MM");
    out.startMinute = static_cast<uint16_t>(h1 * 60 + m1);
    out.endMinute = static_cast<uint16_t>(h2 * 60 + m2);
    return out;
  }

  CompiledRule readRule(const json& r, const std::string& path) const {
    CompiledRule out;
    out.id = static_cast<uint32_t>(integer(field(r, "id", path + "."), 0, 0xffffffffL, path + ".id"));
    out.name = str(r, "name", path + ".name");
    out.ref = str(r, "ref", path + ".ref");
    out.where = location(str(r, "location", path + ".location"), path + ".location");
    out.fromZone = zoneId(field(r, "from", path + "."), path + ".from");
    out.toZone = zoneId(field(r, "to", path + "."), path + ".to");
    for (const auto& [key, list] : {std::pair{"src", &out.src}, std::pair{"dst", &out.dst}}) {
      const std::string at = path + "." + key;
      const json& items = array(field(r, key, path + "."), at);
      for (size_t i = 0; i < items.size(); ++i) list->push_back(prefix(items[i], at + "[" + std::to_string(i) + "]"));
    }
    const json& terms = array(field(r, "terms", path + "."), path + ".terms");
    for (size_t i = 0; i < terms.size(); ++i) {
      const std::string at = path + ".terms[" + std::to_string(i) + "]";
      const auto [p1, p2] = pairOf(terms[i], "proto", 255, at);
      const auto [o1, o2] = pairOf(terms[i], "port", 65535, at);
      const auto [i1, i2] = pairOf(terms[i], "icmp", 255, at);
      out.terms.push_back({static_cast<uint8_t>(p1), static_cast<uint8_t>(p2), static_cast<uint16_t>(o1),
                           static_cast<uint16_t>(o2), static_cast<uint8_t>(i1), static_cast<uint8_t>(i2)});
    }
    const std::string action = str(r, "action", path + ".action");
    if (action != "allow" && action != "deny") fail(path + ".action", "expected allow or deny");
    out.action = action == "allow" ? Action::Allow : Action::Deny;
    out.log = boolean(r, "log", path);
    const json& s = field(r, "schedule", path + ".");
    if (!s.is_null()) out.schedule = schedule(s, path + ".schedule");
    return out;
  }

  CompiledPolicy c_;
};

}  // namespace

std::optional<CompiledPolicy> irFromJson(const json& j, std::string* error) {
  try {
    return IrReader().read(j);
  } catch (const IrError& e) {
    if (error) *error = e.what();
  } catch (const nlohmann::json::exception& e) {
    if (error) *error = e.what();
  }
  return std::nullopt;
}

}  // namespace isogate::policy
