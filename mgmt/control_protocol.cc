// Control protocol parsing and the role table.
#include "mgmt/control_protocol.h"

#include <charconv>

#include "mgmt/strict_json.h"

namespace isogate::mgmt {

const char* commandName(Command c) {
  switch (c) {
    case Command::Status:
      return "status";
    case Command::Stats:
      return "stats";
    case Command::Violations:
      return "violations";
    case Command::Flows:
      return "flows";
    case Command::Reload:
      return "reload";
    case Command::Confirm:
      return "confirm";
    case Command::Rollback:
      return "rollback";
    case Command::AuditShow:
      return "audit show";
    case Command::AuditVerify:
      return "audit verify";
  }
  return "?";
}

bool roleAllows(Role role, Command cmd) {
  switch (role) {
    case Role::Admin:
      return true;
    case Role::Officer:  // load, check and roll back policy; read everything
      return true;
    case Role::Auditor:  // counters, violations and the audit trail (status: which policy runs)
      return cmd == Command::Status || cmd == Command::Stats || cmd == Command::Violations ||
             cmd == Command::AuditShow || cmd == Command::AuditVerify;
    case Role::None:
      return false;
  }
  return false;
}

std::optional<std::chrono::seconds> parseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t unit = 1;
  switch (text.back()) {
    case 's':
      unit = 1;
      text.remove_suffix(1);
      break;
    case 'm':
      unit = 60;
      text.remove_suffix(1);
      break;
    case 'h':
      unit = 3600;
      text.remove_suffix(1);
      break;
    case 'd':
      unit = 86400;
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  if (n > 3650ull * 86400 / unit) return std::nullopt;
  return std::chrono::seconds(static_cast<int64_t>(n * unit));
}

bool parseRequest(std::string_view line, ControlRequest& out, std::string& error) {
  if (line.size() > kMaxControlRequest) {
    error = "request longer than " + std::to_string(kMaxControlRequest) + " bytes";
    return false;
  }
  auto parsed = parseStrictJson(line, error, 2);
  if (!parsed) return false;
  const nlohmann::json& j = *parsed;
  if (!j.is_object()) {
    error = "request must be a JSON object";
    return false;
  }
  std::string cmd;
  if (!getString(j, "cmd", cmd, error)) return false;
  ControlRequest r;
  auto limitField = [&](uint32_t max) {
    uint64_t limit = 0;
    if (!getUnsigned(j, "limit", limit, error, false)) return false;
    if (limit > max) {
      error = "key 'limit': at most " + std::to_string(max);
      return false;
    }
    r.limit = static_cast<uint32_t>(limit);
    return true;
  };
  if (cmd == "status" || cmd == "stats" || cmd == "flows" || cmd == "confirm" ||
      cmd == "rollback") {
    if (!onlyKeys(j, {"cmd"}, error)) return false;
    r.cmd = cmd == "status"    ? Command::Status
            : cmd == "stats"   ? Command::Stats
            : cmd == "flows"   ? Command::Flows
            : cmd == "confirm" ? Command::Confirm
                               : Command::Rollback;
  } else if (cmd == "violations") {
    r.cmd = Command::Violations;
    if (!onlyKeys(j, {"cmd", "since", "type", "limit"}, error)) return false;
    std::string since, type;
    if (!getString(j, "since", since, error, false)) return false;
    if (j.contains("since")) {
      r.since = parseDuration(since);
      if (!r.since) {
        error = "key 'since': invalid duration '" + since.substr(0, 32) +
                "' (a number with s, m, h or d, e.g. 15m)";
        return false;
      }
    }
    if (!getString(j, "type", type, error, false)) return false;
    if (j.contains("type")) {
      r.type = eventTypeFromName(type);
      if (!r.type || !isViolation(*r.type)) {
        error = "key 'type': '" + type.substr(0, 32) +
                "' is not a violation type (physical-isolation, isolation-breach, "
                "logical-isolation, spoofed-source, malformed)";
        return false;
      }
    }
    if (!limitField(10000)) return false;
  } else if (cmd == "reload") {
    r.cmd = Command::Reload;
    if (!onlyKeys(j, {"cmd", "confirm"}, error)) return false;
    if (j.contains("confirm")) {
      uint64_t s = 0;
      if (!getUnsigned(j, "confirm", s, error)) return false;
      if (s == 0 || s > kMaxConfirmSeconds) {
        error = "key 'confirm': seconds between 1 and " + std::to_string(kMaxConfirmSeconds);
        return false;
      }
      r.confirmSeconds = static_cast<uint32_t>(s);
    }
  } else if (cmd == "audit") {
    if (!onlyKeys(j, {"cmd", "op", "limit"}, error)) return false;
    std::string op;
    if (!getString(j, "op", op, error)) return false;
    if (op == "show") {
      r.cmd = Command::AuditShow;
      if (!limitField(100000)) return false;
    } else if (op == "verify") {
      r.cmd = Command::AuditVerify;
      if (j.contains("limit")) {
        error = "unknown key 'limit'";
        return false;
      }
    } else {
      error = "key 'op': expected \"show\" or \"verify\"";
      return false;
    }
  } else {
    error = "unknown command '" + cmd.substr(0, 32) +
            "' (status, stats, violations, flows, reload, confirm, rollback, audit)";
    return false;
  }
  out = r;
  return true;
}

std::string requestToJson(const ControlRequest& r) {
  nlohmann::ordered_json j;
  switch (r.cmd) {
    case Command::AuditShow:
      j["cmd"] = "audit";
      j["op"] = "show";
      break;
    case Command::AuditVerify:
      j["cmd"] = "audit";
      j["op"] = "verify";
      break;
    default:
      j["cmd"] = commandName(r.cmd);
  }
  if (r.since) j["since"] = std::to_string(r.since->count()) + "s";
  if (r.type) j["type"] = eventTypeName(*r.type);
  if (r.confirmSeconds) j["confirm"] = *r.confirmSeconds;
  if (r.limit) j["limit"] = r.limit;
  return j.dump();
}

std::string okResponse(Command cmd, nlohmann::ordered_json result) {
  nlohmann::ordered_json j;
  j["ok"] = true;
  j["cmd"] = commandName(cmd);
  j["result"] = std::move(result);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string errorResponse(const char* code, const std::string& message) {
  nlohmann::ordered_json j;
  j["ok"] = false;
  j["error"] = {{"code", code}, {"message", message}};
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace isogate::mgmt
