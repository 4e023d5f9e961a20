#include "dataplane/forward_stage.h"

#include <cstring>

#include "dataplane/local_reply.h"
#include "dataplane/policy_tables.h"
#include "dataplane/wire.h"

namespace isogate::dataplane {

using namespace wire;

void ForwardStage::process(Burst& b) noexcept {
  for (int i = 0; i < b.count; ++i) {
    if (!b.live(i)) continue;
    if (b.isV6(i)) {
      forward<true>(b, i);
    } else {
      forward<false>(b, i);
    }
  }
}

template <bool kV6>
void ForwardStage::forward(Burst& b, int i) noexcept {
  PacketMeta& md = b.meta[i];
  rte_mbuf* m = b.pkts[i];
  NextHop nh;
  if (!ctx_.topo.route<kV6>(md.dst, &nh) || b.tables->portZone(nh.port) != md.dstZone) {
    b.drop(i, DropReason::NoRoute);
    return;
  }
  uint8_t* ip = rte_pktmbuf_mtod(m, uint8_t*) + md.l2Len;
  uint8_t& ttl = ip[kV6 ? 7 : 8];
  if (ttl <= 1) {
    b.drop(i, DropReason::TtlExpired);
    return;
  }
  MacAddress mac;
  if (!ctx_.neighbours.lookup(kV6, nh.address, b.now, ctx_.timeouts.neighbour, &mac)) {
    b.drop(i, DropReason::NeighbourUnresolved);
    if (!ctx_.neighbours.shouldRequest(kV6, nh.address, b.now, ctx_.timeouts.neighbourRetry))
      return;
    U128 own;
    if (!ctx_.topo.firstOwn<kV6>(nh.port, &own)) return;
    bool ok;
    if constexpr (kV6) {
      ok = makeNeighbourSolicit(m, own, nh.address, ctx_.topo.mac(nh.port));
    } else {
      ok = makeArpRequest(m, static_cast<uint32_t>(own), static_cast<uint32_t>(nh.address),
                          ctx_.topo.mac(nh.port));
    }
    if (ok) {  // the packet's buffer now carries the request; still counted as a drop
      md.action = Action::Transmit;
      md.outPort = nh.port;
    }
    return;
  }
  if constexpr (kV6) {
    --ttl;
  } else {
    // RFC 1624: HC' = ~(~HC + ~m + m') for the word holding TTL and protocol.
    const uint16_t oldWord = rd16(ip + 8);
    --ttl;
    const uint16_t newWord = rd16(ip + 8);
    uint32_t sum =
        static_cast<uint16_t>(~rd16(ip + 10)) + static_cast<uint16_t>(~oldWord) + uint32_t{newWord};
    wr16(ip + 10, static_cast<uint16_t>(~fold(sum)));
  }
  if (md.l2Len != 14) {  // drop VLAN tags: the egress port is untagged
    rte_pktmbuf_adj(m, static_cast<uint16_t>(md.l2Len - 14));
    md.l2Len = 14;
  }
  uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
  std::memcpy(eth, mac.data(), 6);
  std::memcpy(eth + 6, ctx_.topo.mac(nh.port).data(), 6);
  wr16(eth + 12, kV6 ? kEtherIpv6 : kEtherIpv4);
  md.action = Action::Transmit;
  md.outPort = nh.port;
}

}  // namespace isogate::dataplane
