#include "gateway/dpdk_ports.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <cstring>

#include "dataplane/symmetric_rss.h"
#include "gateway/dpdk_eal.h"
#include "gateway/dpdk_error.h"
#include "gateway/dpdk_pcap_count.h"

namespace isogate::gateway {

namespace {

constexpr uint16_t kRxDescriptors = 1024;
constexpr uint16_t kTxDescriptors = 1024;
constexpr unsigned kPoolCache = 256;

// The data plane's symmetric key ((a,b) and (b,a) hash alike, so both directions of a flow
// reach the worker that holds its state); a mutable copy because rte_eth_conf wants one.
uint8_t gSymmetricKey[sizeof dataplane::kSymmetricRssKey];

std::string failed(const PortSpec& spec, const char* what, int rc) {
  return "port " + spec.name + " (" + spec.device + "): " + dpdkError(what, rc);
}

// Whether every port's driver touches packets only in this process (dpdk_mbuf_pool.h). A
// name that finds no port counts as not: setup() then reports it.
bool allSoftware(const std::vector<PortSpec>& specs) {
  for (const auto& spec : specs) {
    uint16_t id = 0;
    rte_eth_dev_info info{};
    if (rte_eth_dev_get_port_by_name(dpdkPortName(spec.device).c_str(), &id) != 0 ||
        rte_eth_dev_info_get(id, &info) != 0 || info.driver_name == nullptr ||
        !copiesOnlyInProcess(info.driver_name)) {
      return false;
    }
  }
  return true;
}

}  // namespace

DpdkPorts::~DpdkPorts() { close(); }

bool DpdkPorts::open(const std::vector<PortSpec>& specs, unsigned queues, std::string& error) {
  if (queues == 0) queues = 1;
  // Every descriptor of every queue may hold an mbuf, plus each lcore's cache and the
  // bursts in flight; at least 8k so a small config still absorbs bursts.
  unsigned want = static_cast<unsigned>(specs.size()) * queues * (kRxDescriptors + kTxDescriptors) +
                  (queues + 1) * (kPoolCache + 256);
  unsigned mbufs = 8191;
  for (const auto& spec : specs) {
    // net_pcap with infinite_rx keeps the whole capture in mbufs of this pool (benchmarks).
    want += static_cast<unsigned>(infiniteRxFrames(spec.device));
  }
  while (mbufs < want) mbufs = mbufs * 2 + 1;
  if (!pool_.create("isogate_mbufs", mbufs, kPoolCache, allSoftware(specs), error)) return false;
  for (const auto& spec : specs) {
    Port p;
    if (!setup(spec, queues, p, error)) {
      close();
      return false;
    }
    ports_.push_back(p);
  }
  return true;
}

bool DpdkPorts::setup(const PortSpec& spec, unsigned queues, Port& p, std::string& error) {
  const std::string name = dpdkPortName(spec.device);
  if (rte_eth_dev_get_port_by_name(name.c_str(), &p.id) != 0) {
    error = "port " + spec.name + ": no DPDK device '" + name + "' (device \"" + spec.device + "\")";
    return false;
  }
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(p.id, &info);
  if (rc != 0) {
    error = failed(spec, "rte_eth_dev_info_get", rc);
    return false;
  }
  if (info.max_rx_queues < queues || info.max_tx_queues < queues) {
    error = "port " + spec.name + " (" + spec.device + "): " + std::to_string(queues) +
            " workers need as many queues, the device has " + std::to_string(info.max_rx_queues) + " rx / " +
            std::to_string(info.max_tx_queues) + " tx";
    return false;
  }
  rte_eth_conf conf{};
  if (queues > 1 && info.flow_type_rss_offloads != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    std::memcpy(gSymmetricKey, dataplane::kSymmetricRssKey, sizeof gSymmetricKey);
    conf.rx_adv_conf.rss_conf.rss_key = gSymmetricKey;
    conf.rx_adv_conf.rss_conf.rss_key_len = sizeof gSymmetricKey;
    conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
    p.rss = true;
  }
  if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
    p.timestamps = true;
  }
  rc = rte_eth_dev_configure(p.id, static_cast<uint16_t>(queues), static_cast<uint16_t>(queues), &conf);
  if (rc != 0) {
    error = failed(spec, "rte_eth_dev_configure", rc);
    return false;
  }
  uint16_t rxd = kRxDescriptors, txd = kTxDescriptors;
  rte_eth_dev_adjust_nb_rx_tx_desc(p.id, &rxd, &txd);
  const int socket = rte_eth_dev_socket_id(p.id);
  for (uint16_t q = 0; q < queues; ++q) {
    rc = rte_eth_rx_queue_setup(p.id, q, rxd, static_cast<unsigned>(socket), nullptr, pool_.get());
    if (rc != 0) {
      error = failed(spec, "rte_eth_rx_queue_setup", rc);
      return false;
    }
    rc = rte_eth_tx_queue_setup(p.id, q, txd, static_cast<unsigned>(socket), nullptr);
    if (rc != 0) {
      error = failed(spec, "rte_eth_tx_queue_setup", rc);
      return false;
    }
  }
  rte_ether_addr mac{};
  rte_eth_macaddr_get(p.id, &mac);
  std::memcpy(p.mac.data(), mac.addr_bytes, 6);
  rc = rte_eth_dev_start(p.id);
  if (rc != 0) {
    error = failed(spec, "rte_eth_dev_start", rc);
    return false;
  }
  p.started = true;
  // Hosts address the gateway by its MAC, but ND/ARP multicast and broadcast must arrive too.
  rte_eth_promiscuous_enable(p.id);
  rte_eth_allmulticast_enable(p.id);
  if (p.timestamps) {
    // Registered by the PMD when the offload is on; without the flag the order falls back.
    p.timestamps = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr) >= 0;
  }
  return true;
}

void DpdkPorts::close() {
  for (auto& p : ports_) {
    if (p.started) {
      rte_eth_dev_stop(p.id);
      p.started = false;
    }
    rte_eth_dev_close(p.id);
  }
  ports_.clear();
  pool_.release();
}

}  // namespace isogate::gateway
