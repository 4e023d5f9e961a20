// The fast lane: a burst whose every packet is a plain IPv4 TCP or UDP packet of
// a flow the current policy already judged (the steady state of a busy gateway)
// is forwarded in three tight passes over a compact record per packet instead
// of the full pipeline: (1) parse and hash, the connection-table buckets
// prefetched as it goes; the bulk lookup; (2) checks, reading only; (3) the
// same state changes, rewrites and counters as the pipeline. When any packet
// of the burst is anything else (a new flow, a re-check after a reload, ARP,
// IPv6, a fragment, options, a VLAN tag, SYN / FIN / RST, a TTL about to
// expire, a next hop not yet resolved, a check that fails), pass (2) gives up
// before anything changed and the whole burst goes through the pipeline, which
// then decides every packet exactly as before. So the lane changes speed, not
// decisions (tests/dataplane/fast_lane_test.cc runs both on the same streams).
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
  // Forwards the whole burst (b.tables set, a forwarding port) and returns true, or changes
  // nothing and returns false.
  bool run(Burst& b, TxBuffer& tx) noexcept;
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
  bool parse(const rte_mbuf* m, Packet& p) const noexcept;  // pass 1, one packet
  void key(Packet& p, int i) noexcept;                      // its key, hash and bucket prefetch
  bool check(const Burst& b, int i) noexcept;               // pass 2, one packet
  void commit(Burst& b, int i, TxBuffer& tx) noexcept;      // pass 3, one packet

  WorkerContext& ctx_;
  const ForwardStage& forward_;
  AccountStage& account_;
  Packet pkt_[kBurstSize];
  FlowKey keys_[kBurstSize];
  const FlowKey* keyPtr_[kBurstSize];
  uint32_t hash_[kBurstSize];
  int32_t pos_[kBurstSize];
  // The last next hop resolved in this burst (packets of a burst share few destinations).
  bool cached_ = false;
  uint32_t cachedDst_ = 0;
  uint16_t cachedZone_ = 0;
  uint16_t cachedPort_ = 0;
  MacAddress cachedMac_{};
  uint64_t bursts_ = 0;
};

}  // namespace isogate::dataplane
