// The control socket protocol (docs/control-protocol.md): one JSON request per
// line, one JSON response per line. Parsing is strict and bounded; which role
// may run which command is decided here, in one table.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "mgmt/control_roles.h"
#include "mgmt/event.h"

namespace isogate::mgmt {

inline constexpr size_t kMaxControlRequest = 4096;  // bytes, without the newline
inline constexpr uint32_t kMaxConfirmSeconds = 86400;

enum class Command : uint8_t {
  Status,
  Stats,
  Violations,
  Flows,
  Reload,
  Confirm,
  Rollback,
  AuditShow,
  AuditVerify
};
const char* commandName(Command c);  // "status", ..., "audit show", "audit verify"

struct ControlRequest {
  Command cmd = Command::Status;
  std::optional<std::chrono::seconds> since;  // violations
  std::optional<EventType> type;              // violations
  std::optional<uint32_t> confirmSeconds;     // reload
  uint32_t limit = 0;                         // violations, audit show; 0 = default
};

// {"cmd":"violations","since":"10m","type":"logical-isolation","limit":100}
bool parseRequest(std::string_view line, ControlRequest& out, std::string& error);
std::string requestToJson(const ControlRequest& r);

// "90", "90s", "15m", "2h", "7d" -> seconds; nullopt when invalid or over 10 years.
std::optional<std::chrono::seconds> parseDuration(std::string_view text);

bool roleAllows(Role role, Command cmd);

// Error codes in responses (and what isogatectl maps to exit codes).
inline constexpr const char* kErrBadRequest = "bad-request";
inline constexpr const char* kErrForbidden = "forbidden";
inline constexpr const char* kErrFailed = "failed";
inline constexpr const char* kErrUnavailable = "unavailable";
inline constexpr const char* kErrInternal = "internal";

std::string okResponse(Command cmd, nlohmann::ordered_json result);
std::string errorResponse(const char* code, const std::string& message);

}  // namespace isogate::mgmt
