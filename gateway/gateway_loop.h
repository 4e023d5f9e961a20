// The gateway daemon's event loop: signals (SIGHUP reloads through the one policy loader,
// SIGTERM/SIGINT stop and leave the rules in force) and the NFLOG descriptor, on one thread
// with poll(). Nothing here waits on the management daemon.
#pragma once

#include <chrono>
#include <functional>

#include "gateway/conntrack_drop_reporter.h"
#include "gateway/event_output.h"
#include "gateway/nflog_reader.h"
#include "gateway/policy_loader.h"
#include "gateway/report_period.h"
#include "gateway/stats_reporter.h"
#include "mgmt/flow_snapshot.h"

namespace isogate::gateway {

class GatewayLoop {
 public:
  GatewayLoop(PolicyLoader& loader, Backend& backend, EventOutput& events, NflogReader* nflog);
  ~GatewayLoop();

  // Blocks the handled signals and opens the signalfd; call before any thread starts.
  bool prepare(std::string& error);
  // Runs until SIGTERM or SIGINT; returns the signal number that stopped it.
  int run();

 private:
  void reportLostEvents();
  // Every few seconds: the backend's flow table to isogate-mgmtd (`isogatectl flows`). The
  // period stretches when a dump takes long (gateway/report_period.h), but stays below the
  // age at which isogate-mgmtd calls the table stale.
  void exportFlows();

  PolicyLoader& loader_;
  Backend& backend_;
  EventOutput& events_;
  NflogReader* nflog_;
  int signalFd_ = -1;
  uint64_t lostReported_ = 0;
  uint64_t dropsReported_ = 0;
  std::chrono::steady_clock::time_point lastNflogReport_{};
  uint64_t lostLinesReported_ = 0;
  ReportSchedule flowSchedule_{std::chrono::seconds(mgmt::kFlowSnapshotPeriodSeconds),
                              std::chrono::seconds(mgmt::kFlowSnapshotStaleSeconds - mgmt::kFlowSnapshotPeriodSeconds)};
  std::string lastFlowError_;  // printed once, not every period
  StatsReporter stats_;
  ConntrackDropReporter conntrackDrops_;  // the kernel's own table full (nf_conntrack_max)
};

}  // namespace isogate::gateway
