#include "mgmt/sensor_ports.h"

namespace isogate::mgmt {

std::vector<const policy::GatewayInterface*> sensorInterfaces(const policy::GatewayConfig& config) {
  std::vector<const policy::GatewayInterface*> out;
  for (const auto& ifc : config.interfaces) {
    if (!ifc.monitor) continue;
    // The data plane owns a DPDK port: it inspects what arrives there and reports it once.
    if (config.backend == policy::Backend::Dpdk && !ifc.device.empty()) continue;
    out.push_back(&ifc);
  }
  return out;
}

}  // namespace isogate::mgmt
