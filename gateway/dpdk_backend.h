// The DPDK backend of isogate-gw: EAL and ports from the gateway config, the data
// plane library (dataplane/) with one worker per EAL worker lcore, each running
// the RX/TX loop. Fail closed: until apply() installs a verified policy every packet
// is dropped (`no-policy`); a rejected apply changes nothing. Owned by the process's
// control thread (the EAL main lcore), which also drains the workers' violation
// records through drainRecords().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"
#include "gateway/backend.h"
#include "gateway/dpdk_ports.h"
#include "gateway/dpdk_worker_loop.h"
#include "mgmt/event.h"
#include "policy/gateway_config.h"

namespace isogate::gateway {

struct DpdkBackendOptions {
  // Replay mode: one worker, packets taken across ports in capture-timestamp order.
  bool ordered = false;
  uint32_t flowCapacity = 262144;  // connection table entries per worker
  // (the gateway config's `flows.max`, when set, replaces it: split evenly over the workers)
};

class DpdkBackend : public Backend {
 public:
  DpdkBackend(const policy::GatewayConfig& config, DpdkBackendOptions options);
  ~DpdkBackend() override;

  const char* name() const override { return "dpdk"; }
  // EAL, ports, data plane; nothing forwards yet. Workers start with launch().
  bool start(std::string& error) override;
  ApplyResult apply(const policy::CompiledPolicy& policy, const std::vector<BackendInterface>& interfaces) override;
  // Once a minute: rebuilds the tables when a rule's schedule window opened or closed.
  void tick() override;
  // Counters of the installed policy (every packet, per zone pair and per rule; reset when a
  // new policy is installed) and drops by reason since start.
  bool stats(mgmt::GatewayStats& out, std::string& error) override;

  // Starts the RX/TX loop on every worker lcore.
  bool launch(std::string& error);
  // Stops the loops and waits for them (counters and port stats stay readable).
  void stopWorkers();
  // stopWorkers(), then releases the data plane (and the packets it holds) and closes the
  // ports (pcap output files are complete afterwards). Nothing but the destructor after it.
  void shutdown();

  // Moves the workers' pending violation records into events (at most `max`). Also, at most
  // once a second, a `fault` (component="flow-table") when new flows were refused because a
  // worker's flow table was full (drop reason flow-table-full), with how many since the last.
  size_t drainRecords(std::vector<mgmt::Event>& out, size_t max);
  // Flows the workers' tables hold at most, all together.
  uint64_t flowLimit() const { return flowLimit_; }
  // Records by mgmt::EventType value, counted as drained.
  const std::vector<uint64_t>& recordsByType() const { return recordsByType_; }

  dataplane::Dataplane& dataplane() { return *dataplane_; }
  const std::vector<PortSpec>& ports() const { return specs_; }
  const DpdkPorts& dpdkPorts() const { return ports_; }
  const std::vector<std::string>& portZones() const { return zones_; }
  // TSC of the last packet any worker received (0 = none).
  uint64_t lastRxTsc() const;
  uint64_t received() const;
  uint64_t txRefused() const;

 private:
  void reportTableFull(std::vector<mgmt::Event>& out);

  policy::GatewayConfig config_;
  DpdkBackendOptions options_;
  std::vector<PortSpec> specs_;
  std::vector<std::string> zones_;
  std::vector<const policy::GatewayInterface*> interfaces_;
  DpdkPorts ports_;
  std::unique_ptr<dataplane::Dataplane> dataplane_;
  std::vector<std::unique_ptr<DpdkWorkerLoop>> loops_;
  std::vector<unsigned> lcores_;
  bool launched_ = false;
  bool ealReady_ = false;
  int lastMinute_ = -1;
  std::vector<uint64_t> recordsByType_;
  uint64_t flowLimit_ = 0;
  uint64_t tableFullReported_ = 0;  // flow-table-full drops already reported as a fault
  uint64_t tableFullCheckedTsc_ = 0;
};

}  // namespace isogate::gateway
