// Benchmark-only settings of the DPDK gateway read from the environment (no config key, no
// flag: production configs never carry them). ISOGATE_DPDK_NEIGHBOURS="ip=mac[,ip=mac...]"
// seeds static neighbour entries, so a bench can forward into a net_null sink, which never
// answers ARP/ND. Unset = nothing changes.
#pragma once

#include <string>
#include <vector>

#include "dataplane/dataplane.h"

namespace isogate::gateway {

inline constexpr const char* kNeighboursEnv = "ISOGATE_DPDK_NEIGHBOURS";

// Applies ISOGATE_DPDK_NEIGHBOURS to the data plane's neighbour table. Each address must lie in
// a connected network of a forwarding port. False with `error` set (and nothing learned) on a
// malformed value: fail closed, the caller refuses to start.
bool applyBenchEnvironment(dataplane::Dataplane& dp, std::string& error);

// Parses "ip=mac,..." into (address, MAC) pairs; false with `error` naming the bad item.
struct StaticNeighbour {
  policy::IpAddress address;
  dataplane::MacAddress mac{};
};
bool parseStaticNeighbours(const std::string& text, std::vector<StaticNeighbour>& out,
                           std::string& error);

}  // namespace isogate::gateway
