// Event wire format. Fields travel as an array of [key, value] pairs so their
// order (which is the syslog SD order) survives the trip.
#include "mgmt/event_wire.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "mgmt/strict_json.h"

namespace isogate::mgmt {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

uint64_t toMs(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return ms < 0 ? 0 : static_cast<uint64_t>(ms);
}

// A drop reason as the backends name them (dataplane/drop_reason.h, gateway/stats_report.cc):
// "logical-isolation", "arp-nd-consumed", ... Lower case, digits, '-' and '_'; not a field name.
bool isValidReasonName(std::string_view name) {
  if (name.empty() || name.size() > 32 || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

bool decodeEvent(const json& j, Event& e, std::string& error) {
  if (!onlyKeys(j, {"v", "kind", "type", "time_ms", "count", "fields", "message"}, error))
    return false;
  std::string type;
  if (!getString(j, "type", type, error)) return false;
  auto t = eventTypeFromName(type);
  if (!t) {
    error = "key 'type': unknown event type '" + type.substr(0, 64) + "'";
    return false;
  }
  e.type = *t;
  uint64_t ms = 0;
  if (!getUnsigned(j, "time_ms", ms, error)) return false;
  if (ms >= kMaxWireTimeMs) {
    error = "key 'time_ms': out of range";
    return false;
  }
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
  e.count = 1;
  if (!getUnsigned(j, "count", e.count, error, false)) return false;
  if (e.count == 0) {
    error = "key 'count': must be positive";
    return false;
  }
  e.fields.clear();
  auto f = j.find("fields");
  if (f != j.end()) {
    if (!f->is_array()) {
      error = "key 'fields': expected an array of [name, value] pairs";
      return false;
    }
    if (f->size() > kMaxWireFields) {
      error = "key 'fields': more than " + std::to_string(kMaxWireFields) + " fields";
      return false;
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < f->size(); ++i) {
      const json& p = (*f)[i];
      std::string where = "fields[" + std::to_string(i) + "]";
      if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) {
        error = where + ": expected [name, value] strings";
        return false;
      }
      std::string k = p[0].get<std::string>(), v = p[1].get<std::string>();
      if (!isValidFieldName(k)) {
        error = where + ": invalid field name '" + k.substr(0, 40) + "'";
        return false;
      }
      if (!seen.insert(k).second) {
        error = where + ": duplicate field '" + k + "'";
        return false;
      }
      if (!isValidFieldValue(v, kMaxWireValue)) {
        error = where + ": value of '" + k + "' too long or has control characters";
        return false;
      }
      e.fields.emplace_back(std::move(k), std::move(v));
    }
  }
  e.message.clear();
  if (!getString(j, "message", e.message, error, false)) return false;
  if (!isValidFieldValue(e.message, kMaxWireMessage)) {
    error = "key 'message': too long or has control characters";
    return false;
  }
  return true;
}

bool decodeStats(const json& j, GatewayStats& s, std::string& error) {
  if (!onlyKeys(j, {"v", "kind", "time_ms", "backend", "pairs", "drops", "events_dropped", "period_ms"},
                error))
    return false;
  s = GatewayStats{};
  if (!getUnsigned(j, "time_ms", s.timeMs, error)) return false;
  if (!getString(j, "backend", s.backend, error, false)) return false;
  if (!isValidFieldValue(s.backend, 32)) {
    error = "key 'backend': invalid";
    return false;
  }
  if (!getUnsigned(j, "events_dropped", s.eventsDropped, error, false)) return false;
  if (!getUnsigned(j, "period_ms", s.periodMs, error, false)) return false;
  if (auto p = j.find("pairs"); p != j.end()) {
    if (!p->is_array() || p->size() > kMaxWirePairs) {
      error = "key 'pairs': expected an array of at most " + std::to_string(kMaxWirePairs);
      return false;
    }
    for (size_t i = 0; i < p->size(); ++i) {
      const json& o = (*p)[i];
      std::string where = "pairs[" + std::to_string(i) + "]: ";
      PairCounter c;
      if (!o.is_object()) {
        error = where + "expected an object";
        return false;
      }
      std::string err;
      bool ok = onlyKeys(o, {"from_zone", "to_zone", "rule", "verdict", "packets", "bytes"}, err) &&
                getString(o, "from_zone", c.fromZone, err) &&
                getString(o, "to_zone", c.toZone, err) &&
                getString(o, "rule", c.rule, err, false) &&
                getString(o, "verdict", c.verdict, err, false) &&
                getUnsigned(o, "packets", c.packets, err) && getUnsigned(o, "bytes", c.bytes, err);
      if (ok && (c.verdict != "allow" && c.verdict != "deny")) {
        ok = false;
        err = "key 'verdict': expected \"allow\" or \"deny\"";
      }
      if (ok && (!isValidFieldValue(c.fromZone, 64) || !isValidFieldValue(c.toZone, 64) ||
                 !isValidFieldValue(c.rule, 128))) {
        ok = false;
        err = "zone or rule name too long or has control characters";
      }
      if (!ok) {
        error = where + err;
        return false;
      }
      s.pairs.push_back(std::move(c));
    }
  }
  if (auto d = j.find("drops"); d != j.end()) {
    if (!d->is_object() || d->size() > 64) {
      error = "key 'drops': expected an object of at most 64 reasons";
      return false;
    }
    for (auto it = d->begin(); it != d->end(); ++it) {
      if (!isValidReasonName(it.key()) || !it->is_number_unsigned()) {
        error = "drops: '" + it.key().substr(0, 40) + "' must be a reason name with a count";
        return false;
      }
      s.drops.emplace_back(it.key(), it->get<uint64_t>());
    }
  }
  return true;
}

}  // namespace

bool isValidFieldName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return name != "type" && name != "count";
}

bool isValidFieldValue(std::string_view value, size_t maxLen) {
  if (value.size() > maxLen) return false;
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 32 || u == 127) return false;
  }
  return true;
}

std::string toWire(const Event& e) {
  json j = json::object();
  j["v"] = 1;
  j["kind"] = "event";
  j["type"] = eventTypeName(e.type);
  j["time_ms"] = toMs(e.time);
  j["count"] = e.count == 0 ? 1 : e.count;
  json f = json::array();
  for (const auto& [k, v] : e.fields) f.push_back(json::array({k, v}));
  j["fields"] = std::move(f);
  if (!e.message.empty()) j["message"] = e.message;
  return dump(j);
}

std::string toWire(const GatewayStats& s) {
  json j = json::object();
  j["v"] = 1;
  j["kind"] = "stats";
  j["time_ms"] = s.timeMs;
  if (!s.backend.empty()) j["backend"] = s.backend;
  json pairs = json::array();
  for (const auto& c : s.pairs)
    pairs.push_back({{"from_zone", c.fromZone},
                     {"to_zone", c.toZone},
                     {"rule", c.rule},
                     {"verdict", c.verdict},
                     {"packets", c.packets},
                     {"bytes", c.bytes}});
  j["pairs"] = std::move(pairs);
  json drops = json::object();
  for (const auto& [k, v] : s.drops) drops[k] = v;
  j["drops"] = std::move(drops);
  j["events_dropped"] = s.eventsDropped;
  if (s.periodMs) j["period_ms"] = s.periodMs;
  return dump(j);
}

bool fromWire(std::string_view datagram, WireMessage& out, std::string& error) {
  if (datagram.size() > kMaxWireDatagram) {
    error = "datagram larger than " + std::to_string(kMaxWireDatagram) + " bytes";
    return false;
  }
  auto parsed = parseStrictJson(datagram, error);
  if (!parsed) return false;
  const json& j = *parsed;
  if (!j.is_object()) {
    error = "expected a JSON object";
    return false;
  }
  uint64_t v = 0;
  if (!getUnsigned(j, "v", v, error)) return false;
  if (v != 1) {
    error = "key 'v': unsupported version " + std::to_string(v);
    return false;
  }
  std::string kind;
  if (!getString(j, "kind", kind, error)) return false;
  if (kind == "event") {
    out.kind = WireMessage::Kind::Event;
    return decodeEvent(j, out.event, error);
  }
  if (kind == "stats") {
    out.kind = WireMessage::Kind::Stats;
    return decodeStats(j, out.stats, error);
  }
  if (kind == "flows") {
    out.kind = WireMessage::Kind::Flows;
    return decodeFlowsPart(j, out.flows, error);
  }
  error = "key 'kind': expected \"event\", \"stats\" or \"flows\"";
  return false;
}

}  // namespace isogate::mgmt
