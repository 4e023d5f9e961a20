#include "gateway/monitor_port.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace isogate::gateway {

namespace {

bool writeSysctl(const std::string& path, const char* value, std::string& error) {
  std::ofstream f(path);
  if (f) f << value;
  if (!f || !f.flush()) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

bool silenceMonitorPort(const std::string& ifname, std::string& error) {
  if (ifname.empty() || ifname.find('/') != std::string::npos || ifname == "." || ifname == "..") {
    error = "bad interface name '" + ifname + "'";
    return false;
  }
  const std::string v4 = "/proc/sys/net/ipv4/conf/" + ifname + "/";
  const std::string v6 = "/proc/sys/net/ipv6/conf/" + ifname + "/";
  return writeSysctl(v4 + "arp_ignore", "8", error) && writeSysctl(v4 + "arp_announce", "2", error) &&
         writeSysctl(v6 + "disable_ipv6", "1", error);
}

}  // namespace isogate::gateway
