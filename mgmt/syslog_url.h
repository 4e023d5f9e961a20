// Syslog destination URLs from `events.syslog` (SPEC §2):
// udp://HOST[:PORT], tcp://HOST[:PORT] (port 514 when omitted; IPv6 as [::1]),
// unix:///ABSOLUTE/PATH.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace isogate::mgmt {

struct SyslogUrl {
  enum class Scheme { Udp, Tcp, Unix } scheme = Scheme::Udp;
  std::string host;  // udp/tcp
  uint16_t port = 514;
  std::string path;  // unix
  std::string text;  // as written, for messages and metrics labels
};

std::optional<SyslogUrl> parseSyslogUrl(std::string_view url, std::string& error);

}  // namespace isogate::mgmt
