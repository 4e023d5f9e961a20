// The gateway's counter report to isogate-mgmtd (mgmt/gateway_stats.h), built from what each
// backend counts. Rows are disjoint: one per rule, one per zone pair's default verdict, so a
// sum over rows never counts a packet twice (metrics: isogate_packets_total{rule=...}).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "mgmt/gateway_stats.h"
#include "policy/compiled.h"

namespace isogate::gateway {

struct PacketBytesCount {
  uint64_t packets = 0, bytes = 0;
};

// The DPDK data plane counts every packet: per zone pair (forwarded, dropped) and per rule
// that decided its flow (established packets count for the rule that admitted the flow).
struct DataplaneCounts {
  std::vector<PacketBytesCount> pairForwarded, pairDropped;  // zones^2, row = source zone
  std::vector<PacketBytesCount> rules;                       // by compiled rule index
  std::vector<std::pair<std::string, uint64_t>> drops;       // reason -> packets (non-zero)
  uint64_t eventsLost = 0;
};

mgmt::GatewayStats statsFromDataplane(const policy::CompiledPolicy& p, const DataplaneCounts& c);

// The kernel backend's named counters (policy/nft_ruleset.h): `rule_<name>` per rule and
// `pair_<a>_<b>` per zone pair count the packets the policy evaluated (first packets of
// flows and everything denied; established traffic is accepted by conntrack before the
// zone dispatch), plus the drop counters of the forward path.
mgmt::GatewayStats statsFromNftCounters(const policy::CompiledPolicy& p,
                                        const std::map<std::string, PacketBytesCount>& counters);

// A report must fit one datagram (mgmt/event_wire.h): rows without packets are left out, and
// beyond `maxRows` the rows with the fewest packets are folded per zone pair and verdict
// into one row with rule "(other rules)".
inline constexpr size_t kMaxStatsRows = 300;
void fitStatsReport(mgmt::GatewayStats& s, size_t maxRows = kMaxStatsRows);

}  // namespace isogate::gateway
