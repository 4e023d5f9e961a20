// Zones and isolation, per packet and before any state: drops what may never
// be forwarded (multicast, broadcast, link-local scope), finds the zones of
// source and destination, enforces anti-spoofing against the ingress port's
// zone (spoofed-source, or isolation-breach when the claimed zone is physically
// isolated from it), then the isolation matrix (physical pairs never reach the
// classifier), and answers echo requests to the gateway's own addresses.
#pragma once

#include "dataplane/worker_context.h"

namespace isogate::dataplane {

class ZoneStage {
 public:
  explicit ZoneStage(WorkerContext& ctx) : ctx_(ctx) {}
  void process(Burst& b) noexcept;
  // One live packet (not ARP / neighbour discovery): drops it, answers it, or leaves it live
  // with srcZone / dstZone set.
  void judgeOne(Burst& b, int i) noexcept;

 private:
  template <bool kV6>
  void judge(Burst& b, int i) noexcept;
  WorkerContext& ctx_;
};

}  // namespace isogate::dataplane
