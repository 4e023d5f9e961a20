// Syslog URL parsing. Host names are allowed (resolved at connect time, so a
// DNS outage at start-up does not keep the daemon from starting).
#include "mgmt/syslog_url.h"

#include <charconv>

namespace isogate::mgmt {

std::optional<SyslogUrl> parseSyslogUrl(std::string_view url, std::string& error) {
  SyslogUrl u;
  u.text = std::string(url);
  auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    error = "syslog destination '" + u.text + "': expected udp://, tcp:// or unix://";
    return std::nullopt;
  }
  std::string_view scheme = url.substr(0, sep), rest = url.substr(sep + 3);
  if (scheme == "unix") {
    u.scheme = SyslogUrl::Scheme::Unix;
    if (rest.empty() || rest[0] != '/' || rest.size() > 107) {
      error =
          "syslog destination '" + u.text + "': unix:// needs an absolute path (unix:///dev/log)";
      return std::nullopt;
    }
    u.path = std::string(rest);
    return u;
  }
  if (scheme == "udp")
    u.scheme = SyslogUrl::Scheme::Udp;
  else if (scheme == "tcp")
    u.scheme = SyslogUrl::Scheme::Tcp;
  else {
    error = "syslog destination '" + u.text + "': unknown scheme '" + std::string(scheme) +
            "' (udp, tcp or unix)";
    return std::nullopt;
  }
  std::string_view hostPart = rest, portPart;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) {
      error = "syslog destination '" + u.text + "': unterminated '[' in IPv6 address";
      return std::nullopt;
    }
    hostPart = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        error = "syslog destination '" + u.text + "': expected ':PORT' after ']'";
        return std::nullopt;
      }
      portPart = after.substr(1);
      if (portPart.empty()) {
        error = "syslog destination '" + u.text + "': empty port";
        return std::nullopt;
      }
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    hostPart = rest.substr(0, colon);
    portPart = rest.substr(colon + 1);
    if (portPart.empty()) {
      error = "syslog destination '" + u.text + "': empty port";
      return std::nullopt;
    }
  }
  if (hostPart.empty() || hostPart.find_first_of("/?# ") != std::string_view::npos) {
    error = "syslog destination '" + u.text + "': missing or invalid host";
    return std::nullopt;
  }
  u.host = std::string(hostPart);
  if (!portPart.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(portPart.data(), portPart.data() + portPart.size(), p);
    if (ec != std::errc() || end != portPart.data() + portPart.size() || p == 0 || p > 65535) {
      error = "syslog destination '" + u.text + "': invalid port '" + std::string(portPart) + "'";
      return std::nullopt;
    }
    u.port = static_cast<uint16_t>(p);
  }
  return u;
}

}  // namespace isogate::mgmt
