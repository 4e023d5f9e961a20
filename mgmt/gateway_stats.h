// The gateway's counters as it reports them to isogate-mgmtd: one snapshot per
// period (cumulative since the gateway started), sent as a `stats` datagram on
// the event intake socket (event_wire.h). Rendered by the metrics endpoint.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace isogate::mgmt {

struct PairCounter {
  std::string fromZone, toZone;
  std::string rule;               // the deciding rule, empty for default verdicts
  std::string verdict = "allow";  // "allow" | "deny"
  uint64_t packets = 0, bytes = 0;
};

struct GatewayStats {
  uint64_t timeMs = 0;  // when the snapshot was taken (Unix ms)
  std::string backend;  // "dpdk" | "nftables"
  std::vector<PairCounter> pairs;
  std::vector<std::pair<std::string, uint64_t>> drops;  // drop reason -> packets
  uint64_t eventsDropped = 0;                           // events the data plane could not queue
  // How often the gateway sends these reports now (ms; 0 = not told). It stretches when a
  // counter dump takes long (gateway/report_period.h), so the operator sees how old
  // `isogatectl stats` may be.
  uint64_t periodMs = 0;
};

}  // namespace isogate::mgmt
