// isogate-gw with `backend: dpdk`: wires the DPDK backend, the one policy loader,
// the event output and the control loop (signals, violation records -> events with
// aggregation, schedule refresh, lost-record faults) on the EAL main lcore. With
// `untilIdle` it replays the configured captures to their end, prints the summary
// (dpdk_summary.h) and exits: the embedded demo (configs/demo/).
#pragma once

#include <functional>
#include <string>

#include "policy/gateway_config.h"

namespace isogate::gateway {

struct DpdkRunOptions {
  std::string eventsFile;  // RFC 5424 lines; "" = stdout (daemon) / none (until-idle)
  std::string mgmtSocket;
  bool untilIdle = false;
  double idleSeconds = 0.5;  // no packet on any port for this long = the captures are done
  // isogate-gw --user: called once the EAL and the ports are up, before the first policy
  // goes in; false (error set) ends the gateway with nothing forwarded.
  std::function<bool(std::string& error)> dropPrivileges;
};

// Returns the process exit code (0 stopped by a signal or replay done, 1 failure).
int runDpdkGateway(const policy::GatewayConfig& config, const DpdkRunOptions& options);

}  // namespace isogate::gateway
