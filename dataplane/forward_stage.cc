#include "dataplane/forward_stage.h"

#include <cstring>

#include "dataplane/local_reply.h"
#include "dataplane/policy_tables.h"
#include "dataplane/wire.h"

namespace isogate::dataplane {

using namespace wire;

void ForwardStage::process(Burst& b) noexcept {
  begin();
  for (int i = 0; i < b.count; ++i) {
    if (b.live(i)) forwardOne(b, i);
  }
}

void ForwardStage::forwardResolving(Burst& b, int i) noexcept {
  if (b.isV6(i)) {
    forward<true>(b, i);
  } else {
    forward<false>(b, i);
  }
}

template <bool kV6>
bool ForwardStage::routeTo(U128 dst, uint16_t dstZone, const PolicyTables& t,
                           NextHop* nh) const noexcept {
  return ctx_.topo.route<kV6>(dst, nh) && t.portZone(nh->port) == dstZone;
}

bool ForwardStage::resolvedIpv4(uint32_t dst, uint16_t dstZone, const PolicyTables& t, uint64_t now,
                                NextHop* nh, MacAddress* mac) const noexcept {
  return routeTo<false>(dst, dstZone, t, nh) &&
         ctx_.neighbours.lookup(false, nh->address, now, ctx_.timeouts.neighbour, mac);
}

template <bool kV6>
bool ForwardStage::makeRequest(rte_mbuf* m, U128 own, U128 target, uint16_t port) noexcept {
  if constexpr (kV6) {
    return makeNeighbourSolicit(m, own, target, ctx_.topo.mac(port));
  } else {
    return makeArpRequest(m, static_cast<uint32_t>(own), static_cast<uint32_t>(target),
                          ctx_.topo.mac(port));
  }
}

template <bool kV6>
void ForwardStage::forward(Burst& b, int i) noexcept {
  PacketMeta& md = b.meta[i];
  rte_mbuf* m = b.pkts[i];
  const uint8_t* ip = rte_pktmbuf_mtod(m, uint8_t*) + md.l2Len;
  NextHop nh;
  if (!routeTo<kV6>(md.dst, md.dstZone, *b.tables, &nh)) {
    b.drop(i, DropReason::NoRoute);
    return;
  }
  if (ip[kV6 ? 7 : 8] <= 1) {
    b.drop(i, DropReason::TtlExpired);
    return;
  }
  MacAddress mac;
  if (ctx_.neighbours.lookup(kV6, nh.address, b.now, ctx_.timeouts.neighbour, &mac)) {
    last_.set(kV6, md.dst, md.dstZone, nh.port, mac, ctx_.topo.mac(nh.port));
    last_.finish(m, kV6, md.l2Len);
    md.l2Len = 14;
    md.action = Action::Transmit;
    md.outPort = nh.port;
    return;
  }
  const bool due =
      ctx_.neighbours.shouldRequest(kV6, nh.address, b.now, ctx_.timeouts.neighbourRetry);
  U128 own;
  if (!ctx_.topo.firstOwn<kV6>(nh.port, &own)) {
    b.drop(i, DropReason::NeighbourUnresolved);
    return;
  }
  HoldQueue& held = ctx_.held;
  if (!held.full()) {
    rte_mbuf* req = nullptr;
    if (due) {
      req = rte_pktmbuf_alloc(m->pool);
      if (req && !makeRequest<kV6>(req, own, nh.address, nh.port)) {
        rte_pktmbuf_free(req);
        req = nullptr;
      }
    }
    if (!due || req) {
      held.push({m, nh.address, b.now + ctx_.timeouts.neighbourHold, nh.port, md.l2Len, kV6});
      if (req) {  // the burst slot now carries the request; the packet is the queue's
        b.pkts[i] = req;
        md.action = Action::Transmit;
        md.outPort = nh.port;
        md.path = Path::Local;
      } else {
        md.action = Action::Held;
      }
      return;
    }
  }
  // Queue full or no mbuf for the request: the packet's own buffer carries the request.
  b.drop(i, DropReason::NeighbourUnresolved);
  if (!due) return;
  if (makeRequest<kV6>(m, own, nh.address, nh.port)) {  // still counted as a drop
    md.action = Action::Transmit;
    md.outPort = nh.port;
  }
}

void ForwardStage::releaseHeld(TxBuffer* tx, uint64_t now) noexcept {
  HoldQueue& held = ctx_.held;
  uint16_t kept = 0;
  for (uint16_t i = 0; i < held.count; ++i) {
    HoldQueue::Entry& e = held.entries[i];
    MacAddress mac;
    if (tx && ctx_.neighbours.lookup(e.v6, e.nextHop, now, ctx_.timeouts.neighbour, &mac)) {
      TxBuffer::Queue& q = tx->port[e.port];
      if (q.count < TxBuffer::kDepth) {
        finishForward(e.mbuf, e.v6, e.l2Len, mac, ctx_.topo.mac(e.port));
        q.pkts[q.count++] = e.mbuf;
        bump(ctx_.counters.forwarded);
        bump(ctx_.counters.tx);
        continue;
      }
    }
    if (now > e.deadline) {
      rte_pktmbuf_free(e.mbuf);
      bump(ctx_.counters.drops[static_cast<int>(DropReason::NeighbourUnresolved)]);
      continue;
    }
    held.entries[kept++] = e;  // keeps arrival order
  }
  held.count = kept;
}

}  // namespace isogate::dataplane
