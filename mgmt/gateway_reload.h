// How isogate-mgmtd tells the gateway to load its policy file again: SIGHUP to
// the pid in the gateway's pidfile (isogate-gw reloads on SIGHUP through its one
// policy loader). The pid is checked to really be an isogate-gw process, so a
// stale pidfile never makes the daemon signal an unrelated process.
#pragma once

#include <string>

namespace isogate::mgmt {

inline constexpr const char* kDefaultGatewayPidfile = "/run/isogate/isogate-gw.pid";

bool signalGatewayReload(const std::string& pidfile, std::string& error);

}  // namespace isogate::mgmt
