// The state one worker lcore owns (its connection and fragment tables, its
// counters and event ring) plus read-only references to what all workers share
// (topology, neighbour table). The pipeline stages of the worker work on it.
#pragma once

#include <cstdint>

#include "dataplane/config.h"
#include "dataplane/counters.h"
#include "dataplane/flow_table.h"
#include "dataplane/frag_table.h"
#include "dataplane/hold_queue.h"
#include "dataplane/neighbour_table.h"
#include "dataplane/topology.h"

struct rte_ring;

namespace isogate::dataplane {

// Timeouts converted to TSC ticks once.
struct TickTimeouts {
  uint64_t tcpSyn, tcpEstablished, tcpClosing, tcpClosed;
  uint64_t udpUnreplied, udpReplied, icmp, other, fragment, neighbour, neighbourRetry,
      neighbourHold;
  static TickTimeouts from(const Timeouts& t, uint64_t hz) {
    return {t.tcpSyn * hz,
            t.tcpEstablished * hz,
            t.tcpClosing * hz,
            t.tcpClosed * hz,
            t.udpUnreplied * hz,
            t.udpReplied * hz,
            t.icmp * hz,
            t.other * hz,
            t.fragment * hz,
            t.neighbour * hz,
            t.neighbourRetryMs * hz / 1000,
            t.neighbourHoldMs * hz / 1000};
  }
};

struct WorkerContext {
  WorkerContext(unsigned idx, const Topology& t, NeighbourTable& n, uint32_t fragCapacity)
      : index(idx), topo(t), neighbours(n), frags(fragCapacity) {}

  unsigned index;
  const Topology& topo;
  NeighbourTable& neighbours;
  FlowTable flows;
  FragTable frags;
  WorkerCounters counters;
  HoldQueue held;  // packets waiting for their next hop's MAC
  rte_ring* events = nullptr;
  TickTimeouts timeouts{};
  uint64_t hz = 1;
  uint64_t baseTsc = 0, baseUnixNs = 0;  // wall clock at baseTsc, for record timestamps
};

}  // namespace isogate::dataplane
