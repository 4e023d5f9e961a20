// An isogate event (SPEC §4) as the control plane passes it around: produced by
// the gateway backends and the sensors, aggregated and encoded by isogate-mgmtd.
// The data plane never builds these: it fills fixed-size records in a ring,
// and the gateway's control thread turns them into Events (names from the IR).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace isogate::mgmt {

enum class EventType : uint8_t {
  PhysicalIsolation,
  IsolationBreach,
  LogicalIsolation,
  SpoofedSource,
  Malformed,
  FlowAllowed,
  PolicyLoaded,
  PolicyRejected,
  Fault,
  Audit,
};

// RFC 5424 severities.
enum class Severity : uint8_t { Emerg, Alert, Crit, Err, Warning, Notice, Info, Debug };

const char* eventTypeName(EventType t);  // "physical-isolation", ...
std::optional<EventType> eventTypeFromName(std::string_view name);
Severity eventSeverity(EventType t);  // SPEC §4 table
const char* eventMsgId(EventType t);  // "VIOLATION", "FLOW", "POLICY", "FAULT", "AUDIT"
bool isViolation(EventType t);
const char* severityName(Severity s);  // "crit", "warning", ... (added: JSON lines, isogatectl)

struct Event {
  EventType type = EventType::Fault;
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
  // Structured-data parameters in the order they are sent, without `type` and
  // `count` (the encoder puts those in). E.g. {"from_zone","intranet"}, {"src","10.10.1.5"}.
  std::vector<std::pair<std::string, std::string>> fields;
  uint64_t count = 1;
  std::string message;  // free text after the structured data

  const std::string* field(std::string_view key) const;
  void set(std::string key, std::string value);  // replaces or appends
};

}  // namespace isogate::mgmt
