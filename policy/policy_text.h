// Human-readable text for policy values, shared by trace, diff, graph and the
// CLI: schedules ("mon-fri 08:00-18:00"), service terms ("tcp/22,443"),
// local times ("mon 10:00") and their parsing for `trace --at`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/diagnostics.h"
#include "policy/model.h"

namespace isogate::policy {

// "mon-fri", "mon,wed,sat", "every day".
std::string formatDays(uint8_t days);
// "08:00", "24:00".
std::string formatMinute(int minute);
// "mon-fri 08:00-18:00".
std::string formatSchedule(const Schedule& s);
// "mon 10:00".
std::string formatLocalTime(const LocalTime& t);
// Parses "mon 10:00" (day names mon..sun, 24-hour clock). nullopt on error.
std::optional<LocalTime> parseLocalTime(std::string_view text);
// "22", "1024-65535".
std::string formatPortRange(const PortRange& r);
// "tcp/22,443", "icmp/echo-request", "udp" (all ports), "proto 47".
std::string formatServiceTerm(const ServiceTerm& t);
// "FILE:LINE" of a location, "" when it has no line.
std::string formatLine(const Location& where);
// Parses "tcp", "udp", "icmp", "icmpv6" or a number 0..255.
std::optional<uint8_t> parseProtocol(std::string_view text);

}  // namespace isogate::policy
