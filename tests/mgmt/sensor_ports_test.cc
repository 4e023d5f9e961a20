// Which monitor interfaces isogate-mgmtd's libpcap sensors watch, per backend: a DPDK port
// with a device is the data plane's (it reports what it sees there), never a second sensor's.
#include "mgmt/sensor_ports.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using isogate::policy::Backend;
using isogate::policy::GatewayConfig;
using isogate::policy::GatewayInterface;

GatewayInterface port(std::string name, std::string zone, bool monitor, std::string device = "") {
  GatewayInterface i;
  i.name = std::move(name);
  i.zone = std::move(zone);
  i.monitor = monitor;
  i.device = std::move(device);
  return i;
}

std::vector<std::string> watched(const GatewayConfig& c) {
  std::vector<std::string> names;
  for (const auto* i : isogate::mgmt::sensorInterfaces(c)) names.push_back(i->name);
  return names;
}

TEST(SensorPorts, NftablesWatchesEveryMonitorPort) {
  GatewayConfig c;
  c.backend = Backend::Nftables;
  c.interfaces = {port("ext0", "extranet", false), port("mon0", "intranet", true),
                  port("tapx0", "extranet", true)};
  EXPECT_EQ(watched(c), (std::vector<std::string>{"mon0", "tapx0"}));
}

TEST(SensorPorts, DpdkLeavesMonitorPortsWithADeviceToTheDataPlane) {
  GatewayConfig c;
  c.backend = Backend::Dpdk;
  c.interfaces = {port("ext0", "extranet", false, "net_af_packet0,iface=ext0"),
                  port("mon0", "intranet", true, "net_af_packet3,iface=mon0"),
                  port("intra-tap", "intranet", true, "0000:03:00.1"),
                  port("tapx0", "extranet", true)};
  EXPECT_EQ(watched(c), (std::vector<std::string>{"tapx0"}));
}

TEST(SensorPorts, NoMonitorPortNoSensor) {
  GatewayConfig c;
  c.backend = Backend::Dpdk;
  c.interfaces = {port("ext0", "extranet", false, "net_af_packet0,iface=ext0")};
  EXPECT_TRUE(watched(c).empty());
}

}  // namespace
