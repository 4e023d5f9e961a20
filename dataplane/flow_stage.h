// Connection tracking on the fast path: looks every tracked packet up in the
// worker's connection table (one bulk lookup per burst). Known flows pass with
// their state advanced; flows judged by an older policy generation are marked
// for re-classification; ICMP errors about a known flow pass as related;
// non-first fragments pass only when their first fragment was allowed. What is
// left is marked as the first packet of a new flow for the classifier.
#pragma once

#include "dataplane/policy_tables.h"
#include "dataplane/tcp_state.h"
#include "dataplane/wire.h"
#include "dataplane/worker_context.h"

namespace isogate::dataplane {

// Packets that create / belong to a connection-table entry: TCP, UDP, ICMP
// echo and other non-ICMP protocols. Other ICMP is judged packet by packet.
inline bool tracked(const PacketMeta& md, bool v6) noexcept {
  if (md.proto == wire::kProtoTcp || md.proto == wire::kProtoUdp) return true;
  if (md.proto == (v6 ? wire::kProtoIcmpv6 : wire::kProtoIcmp)) {
    return md.hasIcmp && (v6 ? (md.icmpType == 128 || md.icmpType == 129)
                             : (md.icmpType == 8 || md.icmpType == 0));
  }
  return md.proto != wire::kProtoIcmp && md.proto != wire::kProtoIcmpv6;
}
// Whether md is the initiator's packet type for a tracked flow (not a reply-only type).
bool isEchoReply(const PacketMeta& md, bool v6) noexcept;

// Advances a known flow for one packet of it (reply = from the responder) and refreshes its
// timeout. Shared by the pipeline (FlowStage::advance) and the fast lane.
inline void advanceFlow(FlowEntry& e, uint8_t proto, bool hasIcmp, bool reply, uint8_t tcpFlags,
                        const TickTimeouts& t, uint64_t now) noexcept {
  uint64_t timeout;
  if (proto == wire::kProtoTcp) {
    timeout = advanceTcp(e, reply, tcpFlags, t);
  } else if (proto == wire::kProtoUdp) {
    if (reply) e.replied = true;
    timeout = e.replied ? t.udpReplied : t.udpUnreplied;
  } else if (hasIcmp) {
    timeout = t.icmp;
  } else {
    timeout = t.other;
  }
  e.expires = now + timeout;
}

class FlowStage {
 public:
  explicit FlowStage(WorkerContext& ctx) : ctx_(ctx) {}
  // process() on a whole burst (after the zone checks): begin(), addKey() for each live
  // packet, lookup(), decide() for each packet still live. The worker runs addKey() before
  // the zone checks instead, so that a packet of a flow the current policy judged takes its
  // zones from the flow (knownZones()) rather than from two longest-prefix searches, and
  // decide() after them, in the same per-packet pass.
  void process(Burst& b) noexcept;
  void begin() noexcept {
    n_ = 0;
    candidates_ = 0;
  }
  // A tracked packet (not a later fragment) gets its key built for the burst's bulk lookup.
  void addKey(Burst& b, int i) noexcept;  // inline, below
  // The burst's one bulk lookup of the keys added.
  void lookup() noexcept { ctx_.flows.lookupBulk(keyPtr_, n_, pos_); }
  // True when packet i belongs to a flow the burst's policy judged: *src / *dst are then its
  // zones as kept in the flow (its key holds these very addresses and zones depend on nothing
  // else, so they equal what the zone table would say).
  bool knownZones(const Burst& b, int i, uint16_t* src, uint16_t* dst) const noexcept;
  // Fragments and untracked packets are decided here; tracked ones are matched to their flow
  // (advanced) or marked as the first packet of a new flow.
  void decide(Burst& b, int i) noexcept;  // inline, below
  // Packets of the burst left for the classifier (new flows, stateless, re-checks).
  uint32_t candidates() const noexcept { return candidates_; }
  // Advances a known flow for packet md (direction already set) and refreshes its timeout.
  void advance(FlowEntry& e, PacketMeta& md, uint64_t now) noexcept;

 private:
  void fragment(Burst& b, int i) noexcept;
  void related(Burst& b, int i) noexcept;
  void resolveOne(Burst& b, uint32_t k) noexcept;  // tracked packet with key k
  WorkerContext& ctx_;
  // The burst's tracked packets: keys, which end the source is, burst slot, table position.
  FlowKey keys_[kBurstSize];
  const FlowKey* keyPtr_[kBurstSize] = {};
  bool srcIsLo_[kBurstSize] = {};
  int index_[kBurstSize] = {};
  int32_t pos_[kBurstSize] = {};
  int8_t keyOf_[kBurstSize] = {};  // burst slot -> its key's number, -1 = none
  uint32_t n_ = 0;
  uint32_t candidates_ = 0;
};

// Fills md's cls* fields: the first packet of the flow as the initiator sent it.
void setInitiatorView(PacketMeta& md, bool v6) noexcept;

inline void FlowStage::addKey(Burst& b, int i) noexcept {
  PacketMeta& md = b.meta[i];
  const bool v6 = b.isV6(i);
  keyOf_[i] = -1;
  if ((md.l3 != L3Kind::Ipv4 && !v6) || md.frag == FragKind::Later || !tracked(md, v6))
      [[unlikely]] {
    return;
  }
  const uint32_t n = n_++;
  makeFlowKey(v6, md.proto, md.src, md.dst, md.sport, md.dport, &keys_[n], &srcIsLo_[n]);
  keyPtr_[n] = &keys_[n];
  index_[n] = i;
  keyOf_[i] = static_cast<int8_t>(n);
}

inline bool FlowStage::knownZones(const Burst& b, int i, uint16_t* src,
                                  uint16_t* dst) const noexcept {
  const int k = keyOf_[i];
  if (k < 0 || pos_[k] < 0) return false;
  const FlowEntry& e = ctx_.flows.entry(pos_[k]);
  if (e.generation != b.tables->generation()) return false;
  const bool reply = srcIsLo_[k] != e.initiatorIsLo;
  *src = reply ? e.toZone : e.fromZone;
  *dst = reply ? e.fromZone : e.toZone;
  return true;
}

inline void FlowStage::decide(Burst& b, int i) noexcept {
  const int k = keyOf_[i];
  if (k >= 0) [[likely]] {
    resolveOne(b, static_cast<uint32_t>(k));
  } else if (b.meta[i].frag == FragKind::Later) {
    fragment(b, i);
  } else {
    related(b, i);
  }
}

}  // namespace isogate::dataplane
