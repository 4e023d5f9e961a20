// The DPDK ports of the gateway: one per configured interface that has a device,
// each with one RX and one TX queue per worker lcore and a shared mbuf pool sized
// to fit `-m 512 --no-huge` (dpdk_mbuf_pool.h: where its buffers live). Multi-queue
// devices get a symmetric RSS key, so both directions of a flow land on the same
// queue index (the same worker, the same connection table) on every port.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/config.h"
#include "gateway/dpdk_mbuf_pool.h"

namespace isogate::gateway {

struct PortSpec {
  std::string name;    // the interface label
  std::string device;  // PCI address or vdev string
  bool monitor = false;
};

class DpdkPorts {
 public:
  DpdkPorts() = default;
  ~DpdkPorts();
  DpdkPorts(const DpdkPorts&) = delete;
  DpdkPorts& operator=(const DpdkPorts&) = delete;

  // Configures and starts every port (after rte_eal_init). false with `error` naming the port.
  bool open(const std::vector<PortSpec>& specs, unsigned queues, std::string& error);
  // Stops and closes every port (pcap output files are complete afterwards).
  void close();

  size_t count() const { return ports_.size(); }
  uint16_t portId(size_t i) const { return ports_[i].id; }
  const dataplane::MacAddress& mac(size_t i) const { return ports_[i].mac; }
  bool rssEnabled(size_t i) const { return ports_[i].rss; }
  // Whether the port stamps received mbufs with the capture time (net_pcap does).
  bool rxTimestamps(size_t i) const { return ports_[i].timestamps; }
  rte_mempool* pool() const { return pool_.get(); }
  // Whether the packet buffers are in a mapping of their own (dpdk_mbuf_pool.h).
  bool poolOwnMapping() const { return pool_.ownMapping(); }

 private:
  struct Port {
    uint16_t id = 0;
    dataplane::MacAddress mac{};
    bool rss = false;
    bool timestamps = false;
    bool started = false;
  };
  bool setup(const PortSpec& spec, unsigned queues, Port& port, std::string& error);

  std::vector<Port> ports_;
  MbufPool pool_;
};

}  // namespace isogate::gateway
