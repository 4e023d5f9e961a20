// Prometheus text exposition (format 0.0.4) of the daemon's and the gateway's
// counters: events by type, drops, per-destination delivery, the running
// policy (digest as a label, load time), and the gateway's per zone pair and
// rule packet/byte counters from its last `stats` report.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mgmt/event_pipeline.h"
#include "mgmt/gateway_stats.h"
#include "mgmt/intake.h"

namespace isogate::mgmt {

struct MetricsSnapshot {
  PipelineCounters pipeline;
  IntakeStats intake;
  std::optional<GatewayStats> gateway;
  double uptimeSeconds = 0;
  uint64_t sensorFrames = 0, sensorBreaches = 0, sensorErrors = 0;
};

std::string renderMetrics(const MetricsSnapshot& s);
std::string escapeLabelValue(std::string_view v);  // \ " and newline

}  // namespace isogate::mgmt
