// Connection tracking on the fast path: looks every tracked packet up in the
// worker's connection table (one bulk lookup per burst). Known flows pass with
// their state advanced; flows judged by an older policy generation are marked
// for re-classification; ICMP errors about a known flow pass as related;
// non-first fragments pass only when their first fragment was allowed. What is
// left is marked as the first packet of a new flow for the classifier.
#pragma once

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

class FlowStage {
 public:
  explicit FlowStage(WorkerContext& ctx) : ctx_(ctx) {}
  // begin(), prepare() for each live packet, resolve(): the worker fuses prepare() into
  // its per-packet pass after the zone checks; process() does the three on a whole burst.
  void process(Burst& b) noexcept;
  void begin() noexcept {
    n_ = 0;
    candidates_ = 0;
  }
  // Fragments and untracked packets are decided here; tracked ones get their key built
  // for the burst's one bulk lookup.
  void prepare(Burst& b, int i) noexcept;  // inline, below
  // The bulk lookup, then each looked-up packet is matched to its flow or marked new.
  void resolve(Burst& b) noexcept;
  // Packets of the burst left for the classifier (new flows, stateless, re-checks).
  uint32_t candidates() const noexcept { return candidates_; }
  // Advances a known flow for packet md (direction already set) and refreshes its timeout.
  void advance(FlowEntry& e, PacketMeta& md, uint64_t now) noexcept;

 private:
  void fragment(Burst& b, int i) noexcept;
  void related(Burst& b, int i) noexcept;
  WorkerContext& ctx_;
  // The burst's tracked packets: keys, which end the source is, burst slot, table position.
  FlowKey keys_[kBurstSize];
  const FlowKey* keyPtr_[kBurstSize] = {};
  bool srcIsLo_[kBurstSize] = {};
  int index_[kBurstSize] = {};
  int32_t pos_[kBurstSize] = {};
  uint32_t n_ = 0;
  uint32_t candidates_ = 0;
};

// Fills md's cls* fields: the first packet of the flow as the initiator sent it.
void setInitiatorView(PacketMeta& md, bool v6) noexcept;

inline void FlowStage::prepare(Burst& b, int i) noexcept {
  PacketMeta& md = b.meta[i];
  const bool v6 = b.isV6(i);
  if (md.frag == FragKind::Later) [[unlikely]] {
    fragment(b, i);
    return;
  }
  if (!tracked(md, v6)) [[unlikely]] {
    related(b, i);
    return;
  }
  const uint32_t n = n_++;
  makeFlowKey(v6, md.proto, md.src, md.dst, md.sport, md.dport, &keys_[n], &srcIsLo_[n]);
  keyPtr_[n] = &keys_[n];
  index_[n] = i;
}

}  // namespace isogate::dataplane
