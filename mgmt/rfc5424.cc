// RFC 5424 encoder. Everything a peer could inject (zone names, rule names,
// free text) passes through here, so every part is sanitised: header fields to
// printable ASCII, SD values escaped, the message stripped of line breaks so a
// newline-framed receiver can never be tricked into seeing two messages.
#include "mgmt/rfc5424.h"

#include <array>
#include <charconv>
#include <ctime>

namespace isogate::mgmt {
namespace {

// Header fields (HOSTNAME, APP-NAME, MSGID) are PRINTUSASCII with a maximum length.
std::string headerField(std::string_view v, size_t maxLen) {
  std::string out;
  for (char c : v) {
    if (out.size() == maxLen) break;
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u >= 33 && u <= 126 ? c : '_');
  }
  return out.empty() ? "-" : out;
}

// The free-text message: no control characters (in particular no CR/LF).
std::string messageText(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 32 || u == 127 ? ' ' : c);
  }
  return out;
}

void appendParam(std::string& out, std::string_view name, std::string_view value) {
  out.push_back(' ');
  out.append(name);
  out.append("=\"");
  out.append(escapeSdValue(value));
  out.push_back('"');
}

bool reservedKey(std::string_view k) {
  return k == "type" || k == "count" || k == "policy" || k == "policy_name";
}

}  // namespace

std::string formatTimestamp(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<time_t>(ms / 1000);
  auto frac = static_cast<int>(ms % 1000);
  if (frac < 0) {  // before 1970: floor, not truncate
    frac += 1000;
    secs -= 1;
  }
  struct tm tm {};
  gmtime_r(&secs, &tm);
  std::array<char, 40> buf{};
  int n = snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return std::string(buf.data(), n > 0 ? static_cast<size_t>(n) : 0);
}

std::string escapeSdValue(std::string_view v) {
  std::string out;
  out.reserve(v.size() + 4);
  for (char c : v) {
    if (c == '"' || c == '\\' || c == ']') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

bool isValidSdName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == '=' || c == ']' || c == '"') return false;
  }
  return true;
}

int facilityFromName(std::string_view name) {
  static constexpr std::array<const char*, 24> kNames = {
      "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
      "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
      "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};
  for (size_t i = 0; i < kNames.size(); ++i)
    if (name == kNames[i]) return static_cast<int>(i);
  int n = -1;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  if (ec == std::errc() && p == name.data() + name.size() && n >= 0 && n <= 23) return n;
  return -1;
}

std::string encodeRfc5424(const Event& e, const SyslogIdentity& id) {
  int facility = id.facility >= 0 && id.facility <= 23 ? id.facility : kFacilityLocal4;
  int pri = facility * 8 + static_cast<int>(eventSeverity(e.type));
  std::string out;
  out.reserve(256);
  out.push_back('<');
  out.append(std::to_string(pri));
  out.append(">1 ");
  out.append(formatTimestamp(e.time));
  out.push_back(' ');
  out.append(headerField(id.hostname, 255));
  out.push_back(' ');
  out.append(headerField(id.appName, 48));
  out.append(" - ");
  out.append(headerField(eventMsgId(e.type), 32));
  out.append(" [");
  out.append(kSdId);
  appendParam(out, "type", eventTypeName(e.type));
  for (const auto& [k, v] : e.fields) {
    // A name that would break the SD-ELEMENT is dropped: the wire format already
    // refuses such events, so this only guards against in-process callers.
    if (reservedKey(k) || !isValidSdName(k)) continue;
    appendParam(out, k, v);
  }
  appendParam(out, "count", std::to_string(e.count));
  const std::string* policy = e.field("policy");
  const std::string* policyName = e.field("policy_name");
  appendParam(out, "policy", policy ? *policy : id.policyDigest);
  appendParam(out, "policy_name", policyName ? *policyName : id.policyName);
  out.push_back(']');
  if (!e.message.empty()) {
    out.push_back(' ');
    out.append(messageText(e.message));
  }
  return out;
}

}  // namespace isogate::mgmt
