// The boundary between the gateway process and whatever enforces the policy (nftables in
// the kernel, the DPDK data plane). A backend takes a whole verified policy and makes it the
// running one in one step, or leaves the running one as it was; it never opens the gate.
#pragma once

#include <string>
#include <vector>

#include "mgmt/gateway_stats.h"
#include "mgmt/flow_snapshot.h"
#include "policy/compiled.h"

namespace isogate::gateway {

// A gateway interface as backends need it; the zone is a name, resolved against each policy.
struct BackendInterface {
  std::string name;    // kernel interface name (nftables) or port label (dpdk)
  std::string zone;
  bool monitor = false;  // receive-only sensor port: never forwards, never transmits
  int zoneId = -1;       // filled in by the policy service for the policy being applied
};

struct ApplyResult {
  bool ok = false;
  // The backend could not keep the previous policy either and is now dropping everything
  // (e.g. a readback mismatch): reported as a `fault`.
  bool failedClosed = false;
  std::string error;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // Before any policy: make the forward path drop, unless rules of an earlier run of the
  // gateway are still in force (those stay until a new policy replaces them).
  virtual bool start(std::string& error) = 0;
  // Replaces the running policy as a whole.
  virtual ApplyResult apply(const policy::CompiledPolicy& policy, const std::vector<BackendInterface>& interfaces) = 0;
  // Housekeeping, called from the control loop about once a second (e.g. ending flows
  // whose schedule window has closed). Never blocks for long.
  virtual void tick() {}
  // The connection table for `isogatectl flows`: at most `max` flows and their total. Called
  // from the control loop every few seconds; false (and no snapshot sent) when the backend
  // cannot tell now, e.g. no policy yet.
  virtual bool flowSnapshot(mgmt::FlowSnapshot& out, size_t max, std::string& error) {
    (void)out;
    (void)max;
    error = "this backend does not report flows";
    return false;
  }
  // The counters of the running policy as reported to isogate-mgmtd (gateway/stats_report.h);
  // false when there is nothing to report (no policy yet) or they cannot be read now.
  virtual bool stats(mgmt::GatewayStats& out, std::string& error) {
    (void)out;
    error = "this backend keeps no counters";
    return false;
  }
};

}  // namespace isogate::gateway
