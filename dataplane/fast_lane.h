// The fast lane: a burst whose every packet is a plain IPv4 TCP or UDP packet of
// a flow the current policy already judged (the steady state of a busy gateway)
// is forwarded over a compact record per packet instead of the full pipeline.
// prepare() runs ahead over up to kLaneDepth packets (several bursts): it parses
// each, hashes its connection-table key and prefetches the table's bucket, then
// the slot, so that those lines arrive while earlier bursts are judged. run()
// then takes one burst: the bulk lookup, the checks (reading only), and the
// same state changes, rewrites and counters as the pipeline. When any packet of
// the burst is anything else (a new flow, a re-check after a reload, ARP, IPv6,
// a fragment, options, a VLAN tag, SYN / FIN / RST, a TTL about to expire, a
// next hop not yet resolved, a check that fails), run() gives up before
// anything changed and the whole burst goes through the pipeline, which then
// decides every packet exactly as before. So the lane changes speed, not
// decisions (tests/dataplane/fast_lane_equivalence_test.cc runs both on the same streams).
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
  // Forwards the whole burst b, which holds the prepared packets [first, first + b.count)
  // (b.tables set, a forwarding port), and returns true; or changes nothing and returns false.
  bool run(Burst& b, uint16_t first, TxBuffer& tx) noexcept;
  // Bursts the lane forwarded (read by the owning thread: tests and benchmarks).
  uint64_t bursts() const noexcept { return bursts_; }

 private:
  // What the lane knows about one packet.
  struct Packet {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t proto, tcpFlags;
    bool srcIsLo;  // the source is the key's lower end
    bool reply;    // from the flow's responder
    uint16_t srcZone, dstZone;
    uint16_t outPort;
    MacAddress nextMac;
  };
  // The per-packet steps, forced inline into prepare() and run() (fast_lane.cc): no call and
  // register saves per packet and step (98 against 103 cycles per packet in-process).
  bool parse(const rte_mbuf* m, Packet& p) const noexcept;  // prepare(), one packet
  void key(Packet& p, int i) noexcept;                      // its key, hash and bucket prefetch
  // run(), one packet: j is its place in the burst, i in the prepared packets.
  bool check(const Burst& b, int j, int i) noexcept;           // reads only
  void commit(Burst& b, int j, int i, TxBuffer& tx) noexcept;  // changes

  WorkerContext& ctx_;
  const ForwardStage& forward_;
  AccountStage& account_;
  // The prepared packets.
  Packet pkt_[kLaneDepth];
  bool eligible_[kLaneDepth];
  FlowKey keys_[kLaneDepth];
  const FlowKey* keyPtr_[kLaneDepth];
  uint32_t hash_[kLaneDepth];
  FlowTable::Probe probe_[kLaneDepth];
  uint64_t probedAt_ = 0;    // the table's changes() when prepare() probed
  int32_t pos_[kBurstSize];  // of the burst in run()
  LastHop last_;             // the last next hop resolved in this burst
  uint64_t bursts_ = 0;
};

}  // namespace isogate::dataplane
