// The static configuration of a data plane, filled by the gateway process from
// its config file: the ports (zone by name, monitor flag, MAC, own addresses),
// the routes, the number of worker lcores and table sizes. The policy is not
// here: it comes as a CompiledPolicy and can be swapped at run time.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "policy/address.h"

namespace isogate::dataplane {

inline constexpr uint16_t kMaxPorts = 16;

using MacAddress = std::array<uint8_t, 6>;

// An address of the gateway on a port and its connected network, e.g. 10.20.0.1/16.
struct InterfaceAddress {
  policy::IpAddress address;
  uint8_t prefixLength = 0;
};

// Port i of the data plane is ports[i]; the process maps it to a DPDK port id.
struct PortConfig {
  std::string name;
  std::string zone;      // zone name; must exist in every policy installed
  bool monitor = false;  // receive only: inspected, never transmits, never answers
  MacAddress mac{};
  std::vector<InterfaceAddress> addresses;
};

// A route for networks not directly attached: `via` must lie in a connected network.
struct RouteConfig {
  policy::Prefix to;
  policy::IpAddress via;
};

// Timeouts in seconds (connection tracking and helper tables).
struct Timeouts {
  uint32_t tcpSyn = 30;
  uint32_t tcpEstablished = 7200;
  uint32_t tcpClosing = 120;  // FIN seen
  uint32_t tcpClosed = 10;    // RST seen, or FIN both ways and the last ACK
  uint32_t udpUnreplied = 30;
  uint32_t udpReplied = 180;
  uint32_t icmp = 30;
  uint32_t other = 60;
  uint32_t fragment = 30;
  uint32_t neighbour = 1200;  // learned MACs expire after this
  uint32_t neighbourRetryMs =
      1000;  // at most one ARP request / NS per unresolved next hop per interval
  uint32_t neighbourHoldMs = 1000;  // a packet waits this long for its next hop's MAC
};

struct DataplaneConfig {
  std::vector<PortConfig> ports;
  std::vector<RouteConfig> routes;
  unsigned workers = 1;               // worker lcores; each owns its connection table
  uint32_t flowCapacity = 65536;      // per worker; a full table denies new flows
  uint32_t fragmentCapacity = 4096;   // per worker, fragment-tracking entries
  uint32_t neighbourCapacity = 4096;  // shared, direct mapped
  uint32_t eventRingSize = 4096;      // per worker, power of two
  Timeouts timeouts;
  int socket = -1;  // NUMA socket for tables (SOCKET_ID_ANY)
  // Bursts of known IPv4 flows through the fast lane (dataplane/fast_lane.h). Off: every
  // burst through the full pipeline, for the test that compares the two and for A/B runs.
  bool fastLane = true;
};

}  // namespace isogate::dataplane
