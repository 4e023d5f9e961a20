// The fast lane: plain IPv4 TCP and UDP packets of flows the current policy already
// judged (the steady state of a busy gateway) are forwarded over a compact record per
// packet instead of the full pipeline. prepare() runs ahead over up to kLaneDepth packets
// (several bursts): it parses each, hashes its connection-table key and prefetches the
// table's bucket, then the slot its signature names, so that those lines arrive while
// earlier bursts are judged. run() then takes one burst, packet by packet: the key compared
// in that slot, the checks (reading only) and, when they pass, the same state changes,
// rewrites and counters as the pipeline. A burst with any packet the lane does not parse
// (ARP, IPv6, a fragment, options, a VLAN tag, SYN / FIN / RST, a TTL about to expire) goes
// whole through the pipeline. Otherwise the lane stops at the first packet it cannot take
// (a new flow, a key further down its bucket's chain, a re-check after a reload, a next hop
// not yet resolved, a check that fails): that packet and the rest of the burst go through
// the pipeline, which sees them in the same order and state as if it had judged the whole
// burst. So the lane changes speed, not decisions (tests/dataplane/fast_lane_equivalence_test.cc
// runs both on the same streams).
#pragma once

#include "dataplane/account_stage.h"
#include "dataplane/forward_stage.h"
#include "dataplane/packet_meta.h"
#include "dataplane/tx_buffer.h"
#include "dataplane/worker_context.h"

namespace isogate::dataplane {

class FastLane {
 public:
  FastLane(WorkerContext& ctx, const ForwardStage& forward, AccountStage& account) noexcept;
  // Looks ahead over the n (<= kLaneDepth) packets the next run() calls will judge. Reads only.
  void prepare(rte_mbuf* const* pkts, uint16_t n) noexcept;
  // Forwards the first packets of burst b, which holds the prepared packets
  // [first, first + b.count) (b.tables set, a forwarding port), and returns how many; the
  // rest are left as they were.
  uint16_t run(Burst& b, uint16_t first, TxBuffer& tx) noexcept;
  // Bursts the lane forwarded whole, and packets it forwarded (read by the owning thread:
  // tests and benchmarks).
  uint64_t bursts() const noexcept { return bursts_; }
  uint64_t packets() const noexcept { return packets_; }

 private:
  // What the lane knows about one packet.
  struct Packet {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t proto, tcpFlags;
    bool srcIsLo;  // the source is the key's lower end
  };
  // The per-packet steps, forced inline into prepare() and run() (fast_lane.cc): no call and
  // register saves per packet and step (98 against 103 cycles per packet in-process).
  bool parse(const rte_mbuf* m, Packet& p) const noexcept;  // prepare(), one packet
  void key(Packet& p, int i) noexcept;                      // its key, hash and bucket prefetch
  // What run() reads once per burst.
  struct BurstFacts {
    uint64_t now;
    uint32_t generation;  // of the burst's policy
    uint16_t inZone;      // of the receiving port
  };
  // run(), one packet: j is its place in the burst, i in the prepared packets.
  bool forwardOne(Burst& b, const BurstFacts& f, int j, int i, TxBuffer& tx) noexcept;

  WorkerContext& ctx_;
  const ForwardStage& forward_;
  AccountStage& account_;
  // The prepared packets.
  Packet pkt_[kLaneDepth];
  // Bit c: a packet of the prepared burst c (packets [c * kBurstSize, (c + 1) * kBurstSize),
  // run()'s `first` is always the start of one) is not one the lane takes.
  uint32_t refused_ = 0;
  static_assert(kLaneDepth / kBurstSize <= 32);
  Ipv4KeyWords keys_[kLaneDepth];
  uint32_t hash_[kLaneDepth];
  uint32_t slot_[kLaneDepth];  // the slot each probe named
  uint64_t probedAt_ = 0;      // the table's changes() when prepare() probed
  LastHop last_;             // the last next hop resolved in this burst
  uint64_t bursts_ = 0, packets_ = 0;
};

}  // namespace isogate::dataplane
