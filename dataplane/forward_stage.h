// L3 forwarding of allowed packets: next hop from the route table (connected
// networks and configured routes), the egress port must belong to the
// destination's zone, TTL / hop limit decrement (expired: drop), incremental
// IPv4 header checksum, Ethernet rewrite (VLAN tags are not carried over).
// An unresolved next hop turns the packet into an ARP request / neighbour
// solicitation (rate limited per address) and counts it as dropped: no hold queue.
#pragma once

#include "dataplane/worker_context.h"

namespace isogate::dataplane {

class ForwardStage {
 public:
  explicit ForwardStage(WorkerContext& ctx) : ctx_(ctx) {}
  void process(Burst& b) noexcept;

 private:
  template <bool kV6>
  void forward(Burst& b, int i) noexcept;
  WorkerContext& ctx_;
};

}  // namespace isogate::dataplane
