// Connection tracking on the fast path: looks every tracked packet up in the
// worker's connection table (one bulk lookup per burst). Known flows pass with
// their state advanced; flows judged by an older policy generation are marked
// for re-classification; ICMP errors about a known flow pass as related;
// non-first fragments pass only when their first fragment was allowed. What is
// left is marked as the first packet of a new flow for the classifier.
#pragma once

#include "dataplane/worker_context.h"

namespace isogate::dataplane {

// Packets that create / belong to a connection-table entry: TCP, UDP, ICMP
// echo and other non-ICMP protocols. Other ICMP is judged packet by packet.
bool tracked(const PacketMeta& md, bool v6) noexcept;
// Whether md is the initiator's packet type for a tracked flow (not a reply-only type).
bool isEchoReply(const PacketMeta& md, bool v6) noexcept;

class FlowStage {
 public:
  explicit FlowStage(WorkerContext& ctx) : ctx_(ctx) {}
  void process(Burst& b) noexcept;
  // Advances a known flow for packet md (direction already set) and refreshes its timeout.
  void advance(FlowEntry& e, PacketMeta& md, uint64_t now) noexcept;

 private:
  void fragment(Burst& b, int i) noexcept;
  void related(Burst& b, int i) noexcept;
  WorkerContext& ctx_;
};

// Fills md's cls* fields: the first packet of the flow as the initiator sent it.
void setInitiatorView(PacketMeta& md, bool v6) noexcept;

}  // namespace isogate::dataplane
