#include "policy/model.h"

#include <ctime>
#include <utility>

namespace isogate::policy {

const Zone* Policy::findZone(const std::string& n) const {
  for (const auto& z : zones)
    if (z.name == n) return &z;
  return nullptr;
}

const Service* Policy::findService(const std::string& n) const {
  for (const auto& s : services)
    if (s.name == n) return &s;
  return nullptr;
}

IsolationMode Policy::isolation(const std::string& a, const std::string& b) const {
  for (const auto& p : pairs)
    if ((p.a == a && p.b == b) || (p.a == b && p.b == a)) return p.mode;
  return defaultMode;
}

LocalTime localTimeNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  LocalTime t;
  t.weekday = static_cast<uint8_t>((tm.tm_wday + 6) % 7);  // tm: 0 = sunday
  t.minute = static_cast<uint16_t>(tm.tm_hour * 60 + tm.tm_min);
  return t;
}

bool scheduleActive(const Schedule& s, const LocalTime& t) {
  auto dayOn = [&](int d) { return (s.days >> d) & 1; };
  if (s.startMinute < s.endMinute) {
    return dayOn(t.weekday) && t.minute >= s.startMinute && t.minute < s.endMinute;
  }
  // Past midnight: the evening part belongs to today, the morning part to yesterday.
  if (t.minute >= s.startMinute) return dayOn(t.weekday);
  if (t.minute < s.endMinute) return dayOn((t.weekday + 6) % 7);
  return false;
}

const char* levelName(Level l) {
  switch (l) {
    case Level::Public: return "public";
    case Level::Internal: return "internal";
    case Level::Classified: return "classified";
  }
  return "public";
}

const char* modeName(IsolationMode m) { return m == IsolationMode::Physical ? "physical" : "logical"; }
const char* actionName(Action a) { return a == Action::Allow ? "allow" : "deny"; }

std::string protocolName(uint8_t proto) {
  switch (proto) {
    case kProtoTcp: return "tcp";
    case kProtoUdp: return "udp";
    case kProtoIcmp: return "icmp";
    case kProtoIcmpv6: return "icmpv6";
  }
  return std::to_string(proto);
}

namespace {
constexpr std::pair<const char*, uint8_t> kIcmpTypes[] = {
    {"echo-reply", 0},       {"dest-unreachable", 3}, {"source-quench", 4},
    {"redirect", 5},         {"echo-request", 8},     {"router-advertisement", 9},
    {"router-solicitation", 10}, {"time-exceeded", 11}, {"parameter-problem", 12},
    {"timestamp-request", 13},   {"timestamp-reply", 14},
};
constexpr std::pair<const char*, uint8_t> kIcmpv6Types[] = {
    {"dest-unreachable", 1},       {"packet-too-big", 2},       {"time-exceeded", 3},
    {"parameter-problem", 4},      {"echo-request", 128},       {"echo-reply", 129},
    {"mld-listener-query", 130},   {"mld-listener-report", 131}, {"mld-listener-done", 132},
    {"nd-router-solicit", 133},    {"nd-router-advert", 134},   {"nd-neighbor-solicit", 135},
    {"nd-neighbor-advert", 136},   {"nd-redirect", 137},
};
}  // namespace

std::optional<uint8_t> icmpTypeByName(uint8_t proto, const std::string& name) {
  if (proto == kProtoIcmpv6) {
    for (const auto& [n, v] : kIcmpv6Types)
      if (name == n) return v;
  } else {
    for (const auto& [n, v] : kIcmpTypes)
      if (name == n) return v;
  }
  return std::nullopt;
}

std::string icmpTypeName(uint8_t proto, uint8_t type) {
  if (proto == kProtoIcmpv6) {
    for (const auto& [n, v] : kIcmpv6Types)
      if (v == type) return n;
  } else {
    for (const auto& [n, v] : kIcmpTypes)
      if (v == type) return n;
  }
  return std::to_string(type);
}

}  // namespace isogate::policy
