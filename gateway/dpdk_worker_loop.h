// The RX/TX loop of one worker lcore: receive a burst on each port's queue, run it
// through the data plane Worker, transmit what it queued per port (monitor ports
// never get anything), expire flows now and then. In `ordered` mode (one worker,
// replaying captures) it takes one packet at a time from the port whose next packet
// is the oldest by capture timestamp, so a reply never overtakes its request.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "dataplane/tx_buffer.h"
#include "dataplane/worker.h"

namespace isogate::gateway {

class DpdkWorkerLoop {
 public:
  // portIds[i] is the DPDK port of data plane port i; each is polled on `queue`.
  DpdkWorkerLoop(dataplane::Worker& worker, std::vector<uint16_t> portIds, uint16_t queue, bool ordered);

  // The lcore body (rte_eal_remote_launch); returns when stop() was called.
  int run();
  void stop() { stop_.store(true, std::memory_order_relaxed); }

  // TSC of the last packet received (0 = none yet); for the demo's idle detection.
  uint64_t lastRxTsc() const { return lastRx_.load(std::memory_order_relaxed); }
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  // Frames the device did not take at transmit (freed).
  uint64_t txRefused() const { return txRefused_.load(std::memory_order_relaxed); }

  static int launch(void* self) { return static_cast<DpdkWorkerLoop*>(self)->run(); }

 private:
  uint16_t receive(uint16_t port, rte_mbuf** pkts);
  uint16_t pollAll(uint64_t now);
  uint16_t pollOrdered(uint64_t now);
  void flush();
  void idleWait();

  dataplane::Worker& worker_;
  std::vector<uint16_t> ports_;
  uint16_t queue_;
  bool ordered_;
  dataplane::TxBuffer tx_;
  std::vector<rte_mbuf*> ahead_;  // ordered mode: the next packet of each port
  int tsOffset_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> lastRx_{0}, received_{0}, txRefused_{0};
};

}  // namespace isogate::gateway
