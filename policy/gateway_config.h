// The gateway configuration of SPEC §2 (edited by network administrators):
// model with source locations, loader, and the checks against the policy it
// enforces — above all that one gateway never forwards between zones the
// policy isolates physically (such a box would itself be the forbidden link).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/address.h"
#include "policy/diagnostics.h"
#include "policy/model.h"

namespace isogate::policy {

enum class Backend : uint8_t { Dpdk, Nftables };
const char* backendName(Backend b);  // "dpdk" | "nftables"

// An interface address with its prefix length: 10.20.0.1/16 (host bits are the point).
struct InterfaceAddress {
  IpAddress address;
  uint8_t length = 0;
  Prefix network() const;  // the connected network, 10.20.0.0/16
};
std::string toString(const InterfaceAddress& a);  // "10.20.0.1/16"

struct GatewayInterface {
  std::string name;  // label; for nftables the kernel interface name
  Location where;    // the entry's first line
  Location nameWhere;
  std::string zone;
  Location zoneWhere;
  std::vector<Located<InterfaceAddress>> addresses;
  Location addressWhere;  // the `address` key
  std::string device;     // dpdk: PCI address or vdev string
  Location deviceWhere;
  bool monitor = false;  // receive-only sensor port, never transmits
};

struct Route {
  Located<Prefix> to;
  Located<IpAddress> via;
  Location where;
};

struct SyslogTarget {
  enum class Transport : uint8_t { Udp, Tcp, Unix };
  Transport transport = Transport::Udp;
  std::string host;  // udp/tcp: IP address or host name (IPv6 without brackets)
  uint16_t port = 514;
  std::string path;  // unix
  std::string url;   // as written
  Location where;
};

struct EventsConfig {
  std::vector<SyslogTarget> syslog;
  std::string jsonPath;               // empty = no JSON log
  int aggregateIntervalSeconds = 10;  // repeated violations: one message per interval
  std::string facility = "local4";    // syslog facility name
  int facilityCode = 20;              // its number (local4 = 20)
};

struct MetricsEndpoint {
  bool enabled = false;  // absent = no metrics endpoint
  std::string host;      // IPv6 without brackets
  uint16_t port = 0;
  Location where;
};

struct ControlConfig {
  std::string socketPath = "/run/isogate/control.sock";
  std::vector<std::string> admins, officers, auditors;  // user or group names
};

// The connection limit (`flows: {max: N}`): at most N flows the policy admits are tracked at
// once; a new flow beyond that is refused (dropped, counted as `flow-table-full`, reported
// as a `fault`) while established flows keep working. Absent = the backend's own table size
// (nftables: the kernel's nf_conntrack_max; dpdk: 262144 entries per worker).
struct FlowsConfig {
  uint32_t max = 0;  // 0 = not configured
  Location where;    // the `max` value
};
inline constexpr uint32_t kMaxFlowLimit = 1u << 26;  // the largest `flows.max` accepted

struct GatewayConfig {
  std::string file;  // as given
  int version = 0;
  std::string name;        // host name in events
  std::string policyPath;  // resolved against the config file's folder
  Location policyWhere;
  Backend backend = Backend::Nftables;
  Location backendWhere;
  std::vector<GatewayInterface> interfaces;
  std::vector<Route> routes;
  std::vector<std::string> dpdkEal;
  EventsConfig events;
  MetricsEndpoint metrics;
  ControlConfig control;
  FlowsConfig flows;

  const GatewayInterface* findInterface(const std::string& name) const;
};

// Reads and loads a file; an unreadable file is an error with no position.
GatewayConfig loadGatewayConfigFile(const std::string& path, Diagnostics& diags);
GatewayConfig loadGatewayConfigText(std::string_view text, const std::string& fileName,
                                    Diagnostics& diags);

// The config against the policy: zones exist, addresses lie in their zone,
// monitor ports have no address, dpdk devices are given, routes go via a
// connected network, and no two forwarding interfaces sit in physically
// isolated zones. Warnings: metrics off loopback, ignored settings.
void checkGatewayConfig(const GatewayConfig& config, const Policy& policy, Diagnostics& diags);

}  // namespace isogate::policy
