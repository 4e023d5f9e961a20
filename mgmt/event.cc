// The event contract's lookup tables (SPEC §4): one row per event type.
#include "mgmt/event.h"

#include <array>

namespace isogate::mgmt {
namespace {

struct TypeRow {
  EventType type;
  const char* name;
  Severity severity;
  const char* msgId;
  bool violation;
};

constexpr std::array<TypeRow, 10> kRows = {{
    {EventType::PhysicalIsolation, "physical-isolation", Severity::Crit, "VIOLATION", true},
    {EventType::IsolationBreach, "isolation-breach", Severity::Crit, "VIOLATION", true},
    {EventType::LogicalIsolation, "logical-isolation", Severity::Warning, "VIOLATION", true},
    {EventType::SpoofedSource, "spoofed-source", Severity::Warning, "VIOLATION", true},
    {EventType::Malformed, "malformed", Severity::Notice, "VIOLATION", true},
    {EventType::FlowAllowed, "flow-allowed", Severity::Info, "FLOW", false},
    {EventType::PolicyLoaded, "policy-loaded", Severity::Notice, "POLICY", false},
    {EventType::PolicyRejected, "policy-rejected", Severity::Err, "POLICY", false},
    {EventType::Fault, "fault", Severity::Err, "FAULT", false},
    {EventType::Audit, "audit", Severity::Notice, "AUDIT", false},
}};

const TypeRow& row(EventType t) {
  auto i = static_cast<size_t>(t);
  // An out-of-range value can only come from a cast bug; report it as a fault
  // rather than reading past the table.
  return i < kRows.size() ? kRows[i] : kRows[static_cast<size_t>(EventType::Fault)];
}

}  // namespace

const char* eventTypeName(EventType t) { return row(t).name; }

std::optional<EventType> eventTypeFromName(std::string_view name) {
  for (const auto& r : kRows)
    if (name == r.name) return r.type;
  return std::nullopt;
}

Severity eventSeverity(EventType t) { return row(t).severity; }
const char* eventMsgId(EventType t) { return row(t).msgId; }
bool isViolation(EventType t) { return row(t).violation; }

const char* severityName(Severity s) {
  static constexpr std::array<const char*, 8> kNames = {"emerg",   "alert",  "crit", "err",
                                                        "warning", "notice", "info", "debug"};
  auto i = static_cast<size_t>(s);
  return i < kNames.size() ? kNames[i] : "err";
}

const std::string* Event::field(std::string_view key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return &v;
  return nullptr;
}

void Event::set(std::string key, std::string value) {
  for (auto& [k, v] : fields) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  fields.emplace_back(std::move(key), std::move(value));
}

}  // namespace isogate::mgmt
