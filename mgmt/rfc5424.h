// RFC 5424 encoding of an isogate Event (SPEC §4): the exact bytes a syslog
// destination receives, without transport framing (the transports add RFC 6587
// octet counting where the stream needs it).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "mgmt/event.h"

namespace isogate::mgmt {

inline constexpr int kFacilityLocal4 = 20;
inline constexpr const char* kSdId = "isogate@32473";

struct SyslogIdentity {
  std::string hostname = "-";  // the gateway's `name`; "-" when unknown
  std::string appName = "isogate";
  int facility = kFacilityLocal4;  // 0..23
  // Put in when the event itself carries no `policy` / `policy_name`.
  std::string policyDigest;
  std::string policyName;
};

// "<PRI>1 TIMESTAMP HOST APP - MSGID [isogate@32473 type=".." <fields> count=".."
//  policy=".." policy_name=".."] MSG". Field order: type, the event's own fields in
// their order, then count, policy, policy_name. Never throws; bad bytes are replaced.
std::string encodeRfc5424(const Event& e, const SyslogIdentity& id);

// 2026-11-26T10:00:00.123Z (UTC, milliseconds).
std::string formatTimestamp(std::chrono::system_clock::time_point t);

// SD-PARAM value escaping: `"`, `\` and `]` get a backslash (RFC 5424 §6.3.3).
std::string escapeSdValue(std::string_view v);

// An SD-NAME: 1..32 printable US-ASCII except '=', ' ', ']', '"'.
bool isValidSdName(std::string_view name);

// Facility by name ("local4", "daemon", ...) or number; -1 when unknown.
int facilityFromName(std::string_view name);

}  // namespace isogate::mgmt
