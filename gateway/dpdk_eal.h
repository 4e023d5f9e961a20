// The EAL command line of the DPDK backend, built from the gateway config: the
// administrator's `dpdk.eal` list, then each interface's `device` (a PCI address
// becomes `-a ADDR`, anything else is a vdev string and becomes `--vdev=...`).
#pragma once

#include <string>
#include <vector>

#include "policy/gateway_config.h"

namespace isogate::gateway {

// Whether a device string names a PCI function ("0000:3b:00.0" or "3b:00.0").
bool isPciAddress(const std::string& device);

// The DPDK port name of a device as rte_eth_dev_get_port_by_name() knows it: the
// PCI address, or the vdev string up to its first comma ("net_pcap0").
std::string dpdkPortName(const std::string& device);

// argv[0] ("isogate-gw") followed by the EAL arguments. Interfaces without a device
// (monitor ports read by isogate-mgmtd) are left out.
std::vector<std::string> ealArguments(const policy::GatewayConfig& config);

// rte_eal_init() with those arguments; false with `error` when the EAL refuses.
bool initEal(const policy::GatewayConfig& config, std::string& error);

}  // namespace isogate::gateway

namespace isogate::gateway {

// Makes the `rx_pcap=` / `tx_pcap=` paths of vdev strings that are relative absolute
// against `baseDir` (the config file's folder, as for `policy`), and creates the
// folders of the tx_pcap files. false with `error` when a folder cannot be made.
bool resolveDevicePaths(policy::GatewayConfig& config, const std::string& baseDir, std::string& error);

}  // namespace isogate::gateway
