// Which `monitor: true` interfaces isogate-mgmtd opens a libpcap sensor on (SPEC §2). With
// the DPDK backend a monitor port that has a `device` is polled and inspected by the data
// plane itself (docs/dpdk-backend.md); a second, libpcap reader would report every breach
// there twice, or, on a NIC bound to DPDK, fail to open a name the kernel does not know.
#pragma once

#include <vector>

#include "policy/gateway_config.h"

namespace isogate::mgmt {

// The monitor interfaces the daemon's sensors watch, in config order: every one with the
// nftables backend, only those without a device with the DPDK backend.
std::vector<const policy::GatewayInterface*> sensorInterfaces(const policy::GatewayConfig& config);

}  // namespace isogate::mgmt
