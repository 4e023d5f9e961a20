#include "policy/policy_text.h"

#include <charconv>
#include <cstdio>

namespace isogate::policy {

namespace {
constexpr const char* kDayNames[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

bool parseUnsigned(std::string_view s, int maxValue, int& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out >= 0 && out <= maxValue;
}
}  // namespace

std::string formatDays(uint8_t days) {
  days &= 0x7f;
  if (days == 0x7f) return "every day";
  std::string out;
  int d = 0;
  while (d < 7) {
    if (!((days >> d) & 1)) {
      ++d;
      continue;
    }
    int e = d;
    while (e + 1 < 7 && ((days >> (e + 1)) & 1)) ++e;
    if (!out.empty()) out += ',';
    out += kDayNames[d];
    // Runs of three or more days read better as a range.
    if (e - d >= 2) {
      out += '-';
      out += kDayNames[e];
    } else if (e > d) {
      out += ',';
      out += kDayNames[e];
    }
    d = e + 1;
  }
  return out;
}

std::string formatMinute(int minute) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minute / 60) % 100, minute % 60);
  return buf;
}

std::string formatSchedule(const Schedule& s) {
  std::string out = formatDays(s.days);
  if (!(s.startMinute == 0 && s.endMinute == 1440)) {
    out += ' ' + formatMinute(s.startMinute) + '-' + formatMinute(s.endMinute);
  }
  return out;
}

std::string formatLocalTime(const LocalTime& t) {
  return std::string(kDayNames[t.weekday % 7]) + ' ' + formatMinute(t.minute);
}

std::optional<LocalTime> parseLocalTime(std::string_view text) {
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view day = text.substr(0, space);
  std::string_view clock = text.substr(space + 1);
  while (!clock.empty() && clock.front() == ' ') clock.remove_prefix(1);
  LocalTime t;
  bool found = false;
  for (int d = 0; d < 7; ++d) {
    if (day == kDayNames[d]) {
      t.weekday = static_cast<uint8_t>(d);
      found = true;
    }
  }
  const auto colon = clock.find(':');
  int h = 0, m = 0;
  if (!found || colon == std::string_view::npos || !parseUnsigned(clock.substr(0, colon), 23, h) ||
      clock.size() - colon != 3 || !parseUnsigned(clock.substr(colon + 1), 59, m)) {
    return std::nullopt;
  }
  t.minute = static_cast<uint16_t>(h * 60 + m);
  return t;
}

std::string formatPortRange(const PortRange& r) {
  if (r.first == r.last) return std::to_string(r.first);
  return std::to_string(r.first) + '-' + std::to_string(r.last);
}

std::string formatServiceTerm(const ServiceTerm& t) {
  std::string out = protocolName(t.protocol);
  if (t.protocol == kProtoTcp || t.protocol == kProtoUdp) {
    if (t.ports.size() == 1 && t.ports[0].first == 0 && t.ports[0].last == 65535) return out;
    out += '/';
    for (size_t i = 0; i < t.ports.size(); ++i) {
      if (i) out += ',';
      out += formatPortRange(t.ports[i]);
    }
    return out;
  }
  if (t.protocol == kProtoIcmp || t.protocol == kProtoIcmpv6) {
    if (t.icmpTypes.empty() || t.icmpTypes.size() == 256) return out;
    out += '/';
    for (size_t i = 0; i < t.icmpTypes.size(); ++i) {
      if (i) out += ',';
      out += icmpTypeName(t.protocol, t.icmpTypes[i]);
    }
    return out;
  }
  return "proto " + out;
}

std::string formatLine(const Location& where) {
  if (where.line <= 0) return "";
  return (where.file.empty() ? std::string("<input>") : where.file) + ':' +
         std::to_string(where.line);
}

std::optional<uint8_t> parseProtocol(std::string_view text) {
  if (text == "tcp") return kProtoTcp;
  if (text == "udp") return kProtoUdp;
  if (text == "icmp") return kProtoIcmp;
  if (text == "icmpv6" || text == "ipv6-icmp") return kProtoIcmpv6;
  int n = 0;
  if (parseUnsigned(text, 255, n)) return static_cast<uint8_t>(n);
  return std::nullopt;
}

}  // namespace isogate::policy
