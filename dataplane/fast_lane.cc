#include "dataplane/fast_lane.h"

#include <rte_prefetch.h>

#include <cstring>

#include "dataplane/flow_stage.h"
#include "dataplane/policy_tables.h"
#include "dataplane/wire.h"

namespace isogate::dataplane {

using namespace wire;

FastLane::FastLane(WorkerContext& ctx, const ForwardStage& forward, AccountStage& account) noexcept
    : ctx_(ctx), forward_(forward), account_(account) {}

// The pipeline's parse restricted to what the lane takes: untagged Ethernet, IPv4 without
// options and not a fragment, a verified header checksum, a TTL above 1 (the pipeline answers
// the others with Time Exceeded), and a UDP or TCP header that the parser would accept; TCP
// without SYN, FIN or RST. Anything else: false.
[[gnu::always_inline]] inline bool FastLane::parse(const rte_mbuf* m, Packet& p) const noexcept {
  const uint32_t len = m->data_len;
  if (m->nb_segs != 1 || len < 14 + 20) return false;
  const uint8_t* eth = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint8_t* ip = eth + 14;
  if (rd16(eth + 12) != kEtherIpv4 || ip[0] != 0x45) return false;  // version 4, 20 bytes
  const uint32_t total = rd16(ip + 2);
  if (total < 20 || total > len - 14) return false;
  const uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
  if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD) return false;
  if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !ipv4ChecksumOk(ip, 20)) return false;
  if (rd16(ip + 6) & 0xbfff) return false;  // the reserved flag, more fragments or an offset
  if (ip[8] <= 1) return false;             // TTL
  const uint8_t* l4 = ip + 20;
  const uint32_t avail = total - 20;
  p.proto = ip[9];
  if (p.proto == kProtoUdp) {
    if (avail < 8) return false;
    const uint16_t ulen = rd16(l4 + 4);
    if (ulen < 8 || ulen > avail) return false;
    p.tcpFlags = 0;
  } else if (p.proto == kProtoTcp) {
    if (avail < 20) return false;
    const uint32_t doff = (l4[12] >> 4) * 4u;
    if (doff < 20 || doff > avail) return false;
    p.tcpFlags = l4[13];
    // SYN, FIN and RST start, restart or end a connection, and a NULL scan is malformed:
    // the pipeline's. What is left (ACK, PSH, URG) cannot take a flow out of its state.
    if ((p.tcpFlags & (kTcpSyn | kTcpFin | kTcpRst)) || (p.tcpFlags & 0x3f) == 0) return false;
  } else {
    return false;
  }
  p.sport = rd16(l4);
  p.dport = rd16(l4 + 2);
  p.src = rd32(ip + 12);
  p.dst = rd32(ip + 16);
  return true;
}

// makeFlowKey's bytes for an IPv4 5-tuple, built as the key's five 64-bit words in registers,
// hashed from there and kept as the three that can be nonzero. Two store-to-load forwarding
// stalls avoided (docs/PERFORMANCE.md): a key written field by field and read back wide at
// once, and the words spilled to the stack and copied out with loads wider than the stores.
[[gnu::always_inline]] inline void FastLane::key(Packet& p, int i) noexcept {
  // makeFlowKey's `src < dst || (src == dst && sport <= dport)` is (src, sport) <= (dst, dport)
  // in lexicographic order: one compare of 48-bit numbers.
  const bool lo = (uint64_t{p.src} << 16 | p.sport) <= (uint64_t{p.dst} << 16 | p.dport);
  p.srcIsLo = lo;
  const uint16_t portLo = lo ? p.sport : p.dport, portHi = lo ? p.dport : p.sport;
  const uint64_t w0 = __builtin_bswap32(lo ? p.src : p.dst);
  const uint64_t w2 = __builtin_bswap32(lo ? p.dst : p.src);
  const uint64_t w4 = portLo | uint64_t{portHi} << 16 | uint64_t{p.proto} << 32 |
                      uint64_t{4} << 40;  // family 4, padding 0
  const uint64_t w[5] = {w0, 0, w2, 0, w4};
  hash_[i] = ctx_.flows.hashWords(w);
  ctx_.flows.prefetchBucket(hash_[i]);
  keys_[i] = {w0, w2, w4};
}

// Everything the pipeline would check for this packet of a known flow, with the zones taken
// from the flow (FlowStage::knownZones). When it would forward the packet at once, what it
// does to it: the flow advanced, TTL, checksum and Ethernet header rewritten, counted and
// queued; true. Otherwise false, and nothing changed.
[[gnu::always_inline]] inline bool FastLane::forwardOne(Burst& b, const BurstFacts& f, int j, int i,
                                                        TxBuffer& tx) noexcept {
  // The flow, when the probe's slot holds its key. Any other case (no flow, or the key in
  // another way or further down the bucket's chain, which is rare) is the pipeline's.
  const int32_t pos = ctx_.flows.matchIpv4(slot_[i], keys_[i]);
  if (pos < 0) return false;
  const Packet& p = pkt_[i];
  FlowEntry& e = ctx_.flows.entry(pos);
  const PolicyTables& t = *b.tables;
  if (e.expires <= f.now || e.generation != f.generation) return false;
  const bool reply = p.srcIsLo != e.initiatorIsLo;
  const uint16_t srcZone = reply ? e.toZone : e.fromZone;
  const uint16_t dstZone = reply ? e.fromZone : e.toZone;
  // No address-scope check (the zone stage's impossibleSource() and routableUnicast()): a
  // flow is inserted only for a packet that passed both, and its key holds these very
  // addresses, so every packet that matches it passes them too.
  if (srcZone == kNoZone || srcZone != f.inZone || dstZone == kNoZone ||
      t.pair(srcZone, dstZone) == policy::PairKind::Physical) {
    return false;
  }
  if (!last_.matches(false, p.dst, dstZone)) {
    NextHop nh;
    MacAddress mac;
    if (ctx_.topo.ownAnywhere<false>(p.dst) ||
        !forward_.resolvedIpv4(p.dst, dstZone, t, f.now, &nh, &mac)) {
      return false;
    }
    last_.set(false, p.dst, dstZone, nh.port, mac, ctx_.topo.mac(nh.port));
  }
  // The flags without SYN, FIN and RST (parse() refused those): the same value, but the
  // compiler then leaves out their branches.
  const uint8_t flags = p.tcpFlags & static_cast<uint8_t>(~(kTcpSyn | kTcpFin | kTcpRst));
  advanceFlow(e, p.proto, false, reply, flags, ctx_.timeouts, f.now);
  rte_mbuf* m = b.pkts[j];
  last_.finish(m, false, 14);
  account_.forwardedOne(m, srcZone, dstZone, e.rule, last_.port, tx);
  return true;
}

void FastLane::prepare(rte_mbuf* const* pkts, uint16_t n) noexcept {
  for (int i = 0; i < n && i < 4; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  uint32_t refused = 0;
  for (int i = 0; i < n; ++i) {
    if (i + 4 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void*));
    if (parse(pkts[i], pkt_[i])) [[likely]] {
      key(pkt_[i], i);
    } else {
      refused |= 1u << (i / kBurstSize);
    }
  }
  refused_ = refused;
  // By now the first buckets have arrived: probe them (which fetches the slots they name),
  // but not for a burst that run() will refuse anyway.
  for (int c = 0; c * kBurstSize < n; ++c) {
    if (refused & 1u << c) continue;
    const int end = (c + 1) * kBurstSize < n ? (c + 1) * kBurstSize : n;
    for (int i = c * kBurstSize; i < end; ++i) slot_[i] = ctx_.flows.probeSlot(hash_[i]);
  }
  probedAt_ = ctx_.flows.changes();
}

uint16_t FastLane::run(Burst& b, uint16_t first, TxBuffer& tx) noexcept {
  const int n = b.count;
  if (refused_ & 1u << (first / kBurstSize)) return 0;
  // An earlier burst through the pipeline (or expiry) added or removed flows since prepare():
  // its probes may name freed slots, so probe again.
  if (ctx_.flows.changes() != probedAt_) {
    for (int j = 0; j < n; ++j) slot_[first + j] = ctx_.flows.probeSlot(hash_[first + j]);
  }
  last_.clear();
  account_.begin(b);
  // Read once: the stores to frames and flows in between may alias them for the compiler.
  const BurstFacts facts{b.now, b.tables->generation(), b.tables->portZone(b.inPort)};
  int j = 0;
  while (j < n && forwardOne(b, facts, j, first + j, tx)) ++j;
  account_.forwarded(static_cast<uint32_t>(j));
  account_.end();
  packets_ += static_cast<uint64_t>(j);
  if (j == n) ++bursts_;
  return static_cast<uint16_t>(j);
}

}  // namespace isogate::dataplane
