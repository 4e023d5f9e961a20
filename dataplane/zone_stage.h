// Zones and isolation, per packet and before any state: drops what may never
// be forwarded (multicast, broadcast, link-local scope), finds the zones of
// source and destination, enforces anti-spoofing against the ingress port's
// zone (spoofed-source, or isolation-breach when the claimed zone is physically
// isolated from it), then the isolation matrix (physical pairs never reach the
// classifier), and answers echo requests to the gateway's own addresses.
#pragma once

#include "dataplane/address_scope.h"
#include "dataplane/local_reply.h"
#include "dataplane/policy_tables.h"
#include "dataplane/worker_context.h"

namespace isogate::dataplane {

class ZoneStage {
 public:
  explicit ZoneStage(WorkerContext& ctx) : ctx_(ctx) {}
  void process(Burst& b) noexcept;
  // One live packet (not ARP / neighbour discovery): drops it, answers it, or leaves it live
  // with srcZone / dstZone set. `known`: the zones are srcZone / dstZone (from the packet's
  // flow, FlowStage::knownZones) and are not looked up again; every check still runs.
  // (Defined below: inlined into the worker's per-packet pass.)
  void judgeOne(Burst& b, int i, bool known = false, uint16_t srcZone = kNoZone,
                uint16_t dstZone = kNoZone) noexcept;

 private:
  template <bool kV6>
  void judge(Burst& b, int i, bool known, uint16_t srcZone, uint16_t dstZone) noexcept;
  WorkerContext& ctx_;
};

inline void ZoneStage::judgeOne(Burst& b, int i, bool known, uint16_t srcZone,
                                uint16_t dstZone) noexcept {
  if (b.meta[i].l3 == L3Kind::Ipv4) {
    judge<false>(b, i, known, srcZone, dstZone);
  } else if (b.meta[i].l3 == L3Kind::Ipv6) {
    judge<true>(b, i, known, srcZone, dstZone);
  } else {
    b.drop(i, DropReason::UnsupportedL2);
  }
}

template <bool kV6>
inline void ZoneStage::judge(Burst& b, int i, bool known, uint16_t srcZone,
                             uint16_t dstZone) noexcept {
  PacketMeta& md = b.meta[i];
  const PolicyTables& t = *b.tables;
  if (impossibleSource<kV6>(md.src)) {
    b.drop(i, DropReason::Malformed);
    return;
  }
  if (!routableUnicast<kV6>(md.dst) || !routableUnicast<kV6>(md.src)) {  // e.g. DHCP, MLD, mDNS
    b.drop(i, DropReason::ToGateway);
    return;
  }
  md.srcZone = known ? srcZone : t.zones().lookup<kV6>(md.src);
  md.dstZone = known ? dstZone : t.zones().lookup<kV6>(md.dst);
  const uint16_t portZone = t.portZone(b.inPort);
  if (md.srcZone != portZone) {
    const bool breach =
        md.srcZone != kNoZone && t.pair(portZone, md.srcZone) == policy::PairKind::Physical;
    b.drop(i, breach ? DropReason::IsolationBreach : DropReason::SpoofedSource);
    return;
  }
  if (md.dstZone == kNoZone) {
    b.drop(i, DropReason::NoZone);
    return;
  }
  if (t.pair(md.srcZone, md.dstZone) == policy::PairKind::Physical) {
    b.drop(i, DropReason::PhysicalIsolation);
    return;
  }
  // Traffic to the gateway itself is rare: one check for any own address first, then
  // whether it is the ingress port's (the only one that answers).
  if (!ctx_.topo.ownAnywhere<kV6>(md.dst)) [[likely]] return;
  if (ctx_.topo.ownAddress<kV6>(b.inPort, md.dst)) {
    const bool echo = md.hasIcmp && md.icmpType == (kV6 ? 128 : 8) && md.frag == FragKind::None &&
                      (!kV6 || md.l3Len == 40);
    if (echo) {
      makeEchoReply<kV6>(b.pkts[i], md, ctx_.topo.mac(b.inPort));
      md.action = Action::Transmit;
      md.outPort = b.inPort;
      md.path = Path::Local;
      bump(ctx_.counters.answered);
      return;
    }
    b.drop(i, DropReason::ToGateway);
    return;
  }
  b.drop(i, DropReason::ToGateway);
}

}  // namespace isogate::dataplane
