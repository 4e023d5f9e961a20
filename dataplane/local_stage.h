// The link-local conversation of the gateway: answers ARP requests and IPv6
// neighbour solicitations for the ingress port's own addresses, and learns
// neighbours from ARP and ND (only addresses in the port's connected networks).
// Never forwards any of it. Runs before zone checks: ND uses link-local
// and unspecified sources that belong to no zone.
#pragma once

#include "dataplane/worker_context.h"

namespace isogate::dataplane {

class LocalStage {
 public:
  explicit LocalStage(WorkerContext& ctx) : ctx_(ctx) {}
  void process(Burst& b) noexcept;
  // One live packet: true when it was ARP or neighbour discovery and is now decided.
  bool handle(Burst& b, int i) noexcept {
    const PacketMeta& md = b.meta[i];
    if (md.l3 == L3Kind::Arp) [[unlikely]] {
      arp(b, i);
      return true;
    }
    if (md.l3 == L3Kind::Ipv6 && md.hasIcmp && md.icmpType >= 133 && md.icmpType <= 137)
        [[unlikely]] {
      neighbourDiscovery(b, i);
      return true;
    }
    return false;
  }

 private:
  void arp(Burst& b, int i) noexcept;
  void neighbourDiscovery(Burst& b, int i) noexcept;
  WorkerContext& ctx_;
};

}  // namespace isogate::dataplane
