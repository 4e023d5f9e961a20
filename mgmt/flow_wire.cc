// Flow snapshot datagrams. Flows are encoded one by one and packed greedily, so a
// part never exceeds the datagram limit whatever the zone and rule names are.
#include "mgmt/flow_wire.h"

#include <arpa/inet.h>

#include "mgmt/event_wire.h"
#include "mgmt/strict_json.h"

namespace isogate::mgmt {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json flowJson(const FlowRecord& f) {
  json j = json::object();
  j["family"] = f.family;
  j["proto"] = f.proto;
  j["src"] = f.src;
  j["sport"] = f.sport;
  j["dst"] = f.dst;
  j["dport"] = f.dport;
  j["from_zone"] = f.fromZone;
  j["to_zone"] = f.toZone;
  j["rule"] = f.rule;
  j["state"] = f.state;
  j["timeout_s"] = f.timeoutS;
  if (f.packets) j["packets"] = *f.packets;
  if (f.bytes) j["bytes"] = *f.bytes;
  return j;
}

std::string envelope(const FlowSnapshot& s, uint64_t id, size_t part, size_t parts,
                     const std::string& flows) {
  json j = json::object();
  j["v"] = 1;
  j["kind"] = "flows";
  j["time_ms"] = s.timeMs;
  j["backend"] = s.backend;
  j["snapshot"] = id;
  j["part"] = part;
  j["parts"] = parts;
  j["total"] = s.total < s.flows.size() ? s.flows.size() : s.total;
  std::string text = dump(j);
  text.pop_back();  // the closing brace: the flows array goes last, already encoded
  return text + ",\"flows\":[" + flows + "]}";
}

bool isAddress(const std::string& text, uint8_t family) {
  unsigned char buf[16];
  return inet_pton(family == 4 ? AF_INET : AF_INET6, text.c_str(), buf) == 1;
}

bool isStateName(const std::string& s) {
  if (s.empty() || s.size() > 24) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
  return true;
}

bool getBounded(const json& o, const char* key, uint64_t max, uint64_t& out, std::string& err) {
  if (!getUnsigned(o, key, out, err)) return false;
  if (out > max) {
    err = std::string("key '") + key + "': " + std::to_string(out) + " is above " +
          std::to_string(max);
    return false;
  }
  return true;
}

bool decodeFlow(const json& o, FlowRecord& f, std::string& err) {
  if (!o.is_object()) {
    err = "expected an object";
    return false;
  }
  if (!onlyKeys(o,
                {"family", "proto", "src", "sport", "dst", "dport", "from_zone", "to_zone",
                 "rule", "state", "timeout_s", "packets", "bytes"},
                err))
    return false;
  uint64_t family = 0, proto = 0, sport = 0, dport = 0;
  if (!getUnsigned(o, "family", family, err)) return false;
  if (family != 4 && family != 6) {
    err = "key 'family': expected 4 or 6";
    return false;
  }
  f.family = static_cast<uint8_t>(family);
  if (!getBounded(o, "proto", 255, proto, err)) return false;
  f.proto = static_cast<uint8_t>(proto);
  for (auto [key, out] : {std::pair{"src", &f.src}, std::pair{"dst", &f.dst}}) {
    if (!getString(o, key, *out, err)) return false;
    if (out->size() > 45 || !isAddress(*out, f.family)) {
      err = std::string("key '") + key + "': '" + out->substr(0, 45) + "' is not an IPv" +
            std::to_string(family) + " address";
      return false;
    }
  }
  if (!getBounded(o, "sport", 65535, sport, err) || !getBounded(o, "dport", 65535, dport, err))
    return false;
  f.sport = static_cast<uint16_t>(sport);
  f.dport = static_cast<uint16_t>(dport);
  if (!getString(o, "from_zone", f.fromZone, err) || !getString(o, "to_zone", f.toZone, err) ||
      !getString(o, "rule", f.rule, err, false) || !getString(o, "state", f.state, err))
    return false;
  if (f.fromZone.empty() || f.toZone.empty() || !isValidFieldValue(f.fromZone, 64) ||
      !isValidFieldValue(f.toZone, 64)) {
    err = "zone name empty, too long or has control characters";
    return false;
  }
  if (!isValidFieldValue(f.rule, 128)) {
    err = "key 'rule': too long or has control characters";
    return false;
  }
  if (!isStateName(f.state)) {
    err = "key 'state': expected 1-24 of [a-z-]";
    return false;
  }
  if (!getUnsigned(o, "timeout_s", f.timeoutS, err)) return false;
  for (auto [key, out] : {std::pair{"packets", &f.packets}, std::pair{"bytes", &f.bytes}}) {
    if (!o.contains(key)) continue;
    uint64_t v = 0;
    if (!getUnsigned(o, key, v, err)) return false;
    *out = v;
  }
  return true;
}

}  // namespace

std::vector<std::string> toWireParts(const FlowSnapshot& s, uint64_t snapshotId) {
  std::vector<std::string> bodies(1);
  const size_t n = s.flows.size() < kMaxSnapshotFlows ? s.flows.size() : kMaxSnapshotFlows;
  for (size_t i = 0; i < n; ++i) {
    std::string one = dump(flowJson(s.flows[i]));
    if (!bodies.back().empty() && bodies.back().size() + one.size() + 1 > kFlowPartBudget) {
      if (bodies.size() == kMaxFlowParts) break;  // cannot happen with 1000 bounded flows
      bodies.emplace_back();
    }
    if (!bodies.back().empty()) bodies.back() += ',';
    bodies.back() += one;
  }
  std::vector<std::string> out;
  for (size_t p = 0; p < bodies.size(); ++p)
    out.push_back(envelope(s, snapshotId, p, bodies.size(), bodies[p]));
  return out;
}

bool decodeFlowsPart(const json& j, FlowSnapshotPart& out, std::string& error) {
  if (!onlyKeys(j, {"v", "kind", "time_ms", "backend", "snapshot", "part", "parts", "total", "flows"},
                error))
    return false;
  out = FlowSnapshotPart{};
  uint64_t part = 0, parts = 0;
  if (!getUnsigned(j, "time_ms", out.data.timeMs, error) ||
      !getString(j, "backend", out.data.backend, error) ||
      !getUnsigned(j, "snapshot", out.snapshot, error) || !getUnsigned(j, "part", part, error) ||
      !getUnsigned(j, "parts", parts, error) || !getUnsigned(j, "total", out.data.total, error))
    return false;
  if (out.data.timeMs >= kMaxWireTimeMs) {
    error = "key 'time_ms': out of range";
    return false;
  }
  if (out.data.backend.empty() || !isValidFieldValue(out.data.backend, 32)) {
    error = "key 'backend': empty, too long or has control characters";
    return false;
  }
  if (parts == 0 || parts > kMaxFlowParts) {
    error = "key 'parts': expected 1 to " + std::to_string(kMaxFlowParts);
    return false;
  }
  if (part >= parts) {
    error = "key 'part': " + std::to_string(part) + " is not below parts (" +
            std::to_string(parts) + ")";
    return false;
  }
  out.part = static_cast<uint32_t>(part);
  out.parts = static_cast<uint32_t>(parts);
  auto f = j.find("flows");
  if (f == j.end() || !f->is_array() || f->size() > kMaxSnapshotFlows) {
    error = "key 'flows': expected an array of at most " + std::to_string(kMaxSnapshotFlows);
    return false;
  }
  if (out.data.total < f->size()) {
    error = "key 'total': " + std::to_string(out.data.total) + " is below the flows sent (" +
            std::to_string(f->size()) + ")";
    return false;
  }
  for (size_t i = 0; i < f->size(); ++i) {
    FlowRecord r;
    std::string err;
    if (!decodeFlow((*f)[i], r, err)) {
      error = "flows[" + std::to_string(i) + "]: " + err;
      return false;
    }
    out.data.flows.push_back(std::move(r));
  }
  return true;
}

}  // namespace isogate::mgmt
