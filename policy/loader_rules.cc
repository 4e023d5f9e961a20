// The `rules` section: endpoints, service references, actions, schedules.
#include <unordered_map>

#include "policy/loader_parts.h"

namespace isogate::policy::detail {

namespace {

constexpr std::string_view kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

void loadEndpoint(YamlReader& r, const yaml::Entry& e, Endpoint& ep, const std::string& context) {
  ep.where = r.at(e.key);
  if (e.value.isScalar()) {
    ep.zone = e.value.text;
    ep.zoneWhere = r.at(e.value);
    return;
  }
  if (!e.value.isMap()) {
    r.error(e.value,
            "'" + e.key.text + "' must be a zone name or a mapping {zone: ZONE, networks: [...]}");
    return;
  }
  const std::string where = "'" + e.key.text + "' of " + context;
  const Fields f = r.fields(e.value, {"zone", "networks"}, {"zone"}, where);
  if (const auto* z = f.get("zone")) {
    if (const auto name = r.string(*z)) {
      ep.zone = *name;
      ep.zoneWhere = r.at(z->value);
    }
  }
  if (const auto* n = f.get("networks")) {
    const yaml::Node* list = r.list(*n);
    if (!list) return;
    for (const auto& item : list->items) {
      if (!item.isScalar()) {
        r.error(item, "each network must be a string like 10.0.0.0/8");
        continue;
      }
      if (item.text == "any") {
        r.error(item,
                "'any' is not allowed in a rule's networks; omit 'networks' for the whole zone");
        continue;
      }
      std::string why;
      if (const auto p = parsePrefix(item.text, &why)) {
        ep.networks.push_back({*p, r.at(item)});
      } else {
        r.error(item, "invalid network '" + item.text + "': " + why);
      }
    }
  }
}

void loadServiceRefs(YamlReader& r, const yaml::Entry& e, Rule& rule, const std::string& context) {
  rule.anyService = false;
  if (!e.value.isSequence()) {
    r.error(e.value, "'services' must be a list");
    return;
  }
  if (e.value.items.empty()) {
    r.error(e.value, "'services' must not be empty; omit it to allow any service");
    return;
  }
  for (const auto& item : e.value.items) {
    ServiceRef ref;
    ref.where = r.at(item);
    if (item.isScalar()) {
      ref.name = item.text;
    } else if (item.isMap()) {
      ref.inlineTerms = loadServiceTerms(r, item, "inline service of " + context);
      if (ref.inlineTerms.empty()) continue;
    } else {
      r.error(item, "each service must be a service name or an inline mapping like {tcp: [8443]}");
      continue;
    }
    rule.services.push_back(std::move(ref));
  }
}

// "HH:MM" with H or HH: minutes after midnight (24:00 = 1440), -1 when the
// text is not a clock time at all, -2 when the digits are out of range.
int parseClock(std::string_view t) {
  const auto colon = t.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || t.size() != colon + 3) {
    return -1;
  }
  int h = 0, m = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (i == colon) continue;
    if (t[i] < '0' || t[i] > '9') return -1;
    (i < colon ? h : m) = (i < colon ? h : m) * 10 + (t[i] - '0');
  }
  if (h == 24 && m == 0) return 1440;
  if (h > 23 || m > 59) return -2;
  return h * 60 + m;
}

void loadHours(YamlReader& r, const yaml::Entry& e, Schedule& s) {
  if (!e.value.isScalar()) {
    r.error(e.value, "'hours' must be a string like \"08:00-18:00\"");
    return;
  }
  const std::string& t = e.value.text;
  const auto dash = t.find('-');
  const int start =
      dash == std::string::npos ? -1 : parseClock(std::string_view(t).substr(0, dash));
  const int end = dash == std::string::npos ? -1 : parseClock(std::string_view(t).substr(dash + 1));
  const std::string q = "'" + t + "'";
  if (start == -1 || end == -1) {
    r.error(e.value, "invalid hours " + q + "; expected \"HH:MM-HH:MM\" such as \"08:00-18:00\"");
  } else if (start == -2 || end == -2) {
    r.error(e.value, "invalid hours " + q + "; hours run 00..23 and minutes 00..59");
  } else if (start == 1440) {
    r.error(e.value, "invalid hours " + q + "; 24:00 may only end a window");
  } else if (start == end) {
    r.error(e.value, "invalid hours " + q + "; start and end are the same time");
  } else {
    s.startMinute = static_cast<uint16_t>(start);
    s.endMinute = static_cast<uint16_t>(end);
  }
}

void loadSchedule(YamlReader& r, const yaml::Entry& e, Rule& rule, const std::string& context) {
  const yaml::Node* map = r.mapping(e);
  if (!map) return;
  Schedule s;
  s.where = r.at(e.key);
  const Fields f = r.fields(*map, {"days", "hours"}, {}, "'schedule' of " + context);
  if (!f.has("days") && !f.has("hours")) {
    r.error(*map, "a schedule needs 'days', 'hours' or both");
  }
  if (const auto* d = f.get("days")) {
    if (const yaml::Node* list = r.list(*d)) {
      s.days = 0;
      for (const auto& item : list->items) {
        int day = -1;
        for (int i = 0; i < 7 && item.isScalar(); ++i)
          if (item.text == kDays[i]) day = i;
        if (day < 0) {
          r.error(item, "invalid day '" + (item.isScalar() ? item.text : std::string("?")) +
                            "'; expected mon, tue, wed, thu, fri, sat or sun");
        } else if (s.days & (1u << day)) {
          r.error(item, "day '" + item.text + "' is listed twice");
        } else {
          s.days = static_cast<uint8_t>(s.days | (1u << day));
        }
      }
      if (s.days == 0) s.days = 0x7f;  // only errors: keep the model total
    }
  }
  if (const auto* h = f.get("hours")) loadHours(r, *h, s);
  rule.schedule = s;
}

}  // namespace

void loadRules(YamlReader& r, const yaml::Entry& section, Policy& policy) {
  if (section.value.isNull()) return;  // `rules:` with nothing: deny everything
  const yaml::Node* list = r.list(section, /*allowEmpty=*/true);
  if (!list) return;
  std::unordered_map<std::string, int> firstLine;
  policy.rules.reserve(policy.rules.size() + list->items.size());
  int index = 0;
  for (const auto& item : list->items) {
    ++index;
    if (!item.isMap()) {
      r.error(item, "each rule must be a mapping with name, from, to and action");
      continue;
    }
    Rule rule;
    rule.where = r.at(item);
    std::string context = "rule #" + std::to_string(index);
    for (const auto& e : item.entries) {
      if (e.key.isScalar() && e.key.text == "name" && e.value.isScalar()) {
        context = "rule '" + e.value.text + "'";
        break;
      }
    }
    const Fields f = r.fields(
        item, {"name", "description", "from", "to", "services", "action", "log", "ref", "schedule"},
        {"name", "from", "to", "action"}, context);
    if (const auto* e = f.get("name")) {
      if (const auto name = r.string(*e)) {
        rule.name = *name;
        rule.nameWhere = r.at(e->value);
        if (!isRuleName(*name)) {
          r.error(e->value, "invalid rule name '" + *name +
                                "'; use lowercase a-z, 0-9 and '-', at most 64 characters");
        }
        if (const auto it = firstLine.find(*name); it != firstLine.end()) {
          r.error(e->value, "duplicate rule name '" + *name + "' (first used at line " +
                                std::to_string(it->second) + ")");
        } else {
          firstLine.emplace(*name, e->value.line);
        }
      }
    }
    if (const auto* e = f.get("description")) r.string(*e);
    if (const auto* e = f.get("from")) loadEndpoint(r, *e, rule.from, context);
    if (const auto* e = f.get("to")) loadEndpoint(r, *e, rule.to, context);
    if (const auto* e = f.get("services")) loadServiceRefs(r, *e, rule, context);
    if (const auto* e = f.get("action")) {
      if (const auto a = r.choice(*e, "action", {"allow", "deny"}))
        rule.action = *a == 0 ? Action::Allow : Action::Deny;
    }
    if (const auto* e = f.get("log")) rule.log = r.boolean(*e).value_or(false);
    if (const auto* e = f.get("ref")) rule.ref = r.string(*e).value_or("");
    if (const auto* e = f.get("schedule")) loadSchedule(r, *e, rule, context);
    policy.rules.push_back(std::move(rule));
  }
}

}  // namespace isogate::policy::detail
