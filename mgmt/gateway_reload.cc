// SIGHUP hook for PolicyService (see gateway_reload.h).
#include "mgmt/gateway_reload.h"

#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

namespace isogate::mgmt {

bool signalGatewayReload(const std::string& pidfile, std::string& error) {
  std::ifstream in(pidfile);
  std::string text;
  if (!in || !std::getline(in, text)) {
    error = "cannot read gateway pidfile " + pidfile + ": " + std::strerror(errno ? errno : ENOENT);
    return false;
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
  long pid = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || p != text.data() + text.size() || pid <= 1) {
    error = "gateway pidfile " + pidfile + " does not hold a pid";
    return false;
  }
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (!comm || !std::getline(comm, name)) {
    error = "gateway (pid " + std::to_string(pid) + " from " + pidfile + ") is not running";
    return false;
  }
  if (name.rfind("isogate-gw", 0) != 0) {
    error = "pid " + std::to_string(pid) + " from " + pidfile + " is '" + name +
            "', not isogate-gw (stale pidfile)";
    return false;
  }
  if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
    error = "cannot signal gateway pid " + std::to_string(pid) + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace isogate::mgmt
