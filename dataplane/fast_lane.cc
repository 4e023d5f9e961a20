#include "dataplane/fast_lane.h"

#include <rte_prefetch.h>

#include <cstring>

#include "dataplane/flow_stage.h"
#include "dataplane/policy_tables.h"
#include "dataplane/wire.h"

namespace isogate::dataplane {

using namespace wire;

FastLane::FastLane(WorkerContext& ctx, const ForwardStage& forward, AccountStage& account) noexcept
    : ctx_(ctx), forward_(forward), account_(account) {
  for (int i = 0; i < kLaneDepth; ++i) keyPtr_[i] = &keys_[i];
}

// The pipeline's parse restricted to what the lane takes: untagged Ethernet, IPv4 without
// options and not a fragment, a verified header checksum, and a UDP or TCP header that the
// parser would accept; TCP without SYN, FIN or RST. Anything else: false.
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
// hashed from there and stored word by word. Two store-to-load forwarding stalls avoided
// (docs/PERFORMANCE.md): a key written field by field and read back wide at once, and the
// words spilled to the stack and copied out with loads wider than the stores.
[[gnu::always_inline]] inline void FastLane::key(Packet& p, int i) noexcept {
  const bool lo = p.src < p.dst || (p.src == p.dst && p.sport <= p.dport);
  p.srcIsLo = lo;
  const uint16_t portLo = lo ? p.sport : p.dport, portHi = lo ? p.dport : p.sport;
  const uint64_t w0 = __builtin_bswap32(lo ? p.src : p.dst);
  const uint64_t w2 = __builtin_bswap32(lo ? p.dst : p.src);
  const uint64_t w4 = portLo | uint64_t{portHi} << 16 | uint64_t{p.proto} << 32 |
                      uint64_t{4} << 40;  // family 4, padding 0
  const uint64_t w[5] = {w0, 0, w2, 0, w4};
  hash_[i] = ctx_.flows.hashWords(w);
  ctx_.flows.prefetchBucket(hash_[i]);
  auto* out = reinterpret_cast<unsigned char*>(&keys_[i]);
  const uint64_t zero = 0;
  std::memcpy(out, &w0, 8);
  std::memcpy(out + 8, &zero, 8);
  std::memcpy(out + 16, &w2, 8);
  std::memcpy(out + 24, &zero, 8);
  std::memcpy(out + 32, &w4, 8);
}

// Everything the pipeline would check for this packet of a known flow, with the zones taken
// from the flow (FlowStage::knownZones); true when it would forward it at once.
[[gnu::always_inline]] inline bool FastLane::check(const Burst& b, int j, int i) noexcept {
  if (pos_[j] < 0) return false;
  Packet& p = pkt_[i];
  const FlowEntry& e = ctx_.flows.entry(pos_[j]);
  const PolicyTables& t = *b.tables;
  if (e.expires <= b.now || e.generation != t.generation()) return false;
  p.reply = p.srcIsLo != e.initiatorIsLo;
  p.srcZone = p.reply ? e.toZone : e.fromZone;
  p.dstZone = p.reply ? e.fromZone : e.toZone;
  // No address-scope check (the zone stage's impossibleSource() and routableUnicast()): a
  // flow is inserted only for a packet that passed both, and its key holds these very
  // addresses, so every packet that matches it passes them too.
  if (p.srcZone == kNoZone || p.srcZone != t.portZone(b.inPort) || p.dstZone == kNoZone ||
      t.pair(p.srcZone, p.dstZone) == policy::PairKind::Physical) {
    return false;
  }
  if (rte_pktmbuf_mtod(b.pkts[j], const uint8_t*)[14 + 8] <= 1) return false;  // TTL
  if (!last_.matches(false, p.dst, p.dstZone)) {
    NextHop nh;
    MacAddress mac;
    if (ctx_.topo.ownAnywhere<false>(p.dst) ||
        !forward_.resolvedIpv4(p.dst, p.dstZone, t, b.now, &nh, &mac)) {
      return false;
    }
    last_.set(false, p.dst, p.dstZone, nh.port, mac);
  }
  p.outPort = last_.port;
  p.nextMac = last_.mac;
  return true;
}

// What the pipeline does to a packet of a known flow it forwards: the flow advanced, TTL,
// checksum and Ethernet header rewritten, counted and queued.
[[gnu::always_inline]] inline void FastLane::commit(Burst& b, int j, int i, TxBuffer& tx) noexcept {
  const Packet& p = pkt_[i];
  FlowEntry& e = ctx_.flows.entry(pos_[j]);
  advanceFlow(e, p.proto, false, p.reply, p.tcpFlags, ctx_.timeouts, b.now);
  rte_mbuf* m = b.pkts[j];
  finishForward(m, false, 14, p.nextMac, ctx_.topo.mac(p.outPort));
  account_.forwardedOne(m, p.srcZone, p.dstZone, e.rule, p.outPort, tx);
}

void FastLane::prepare(rte_mbuf* const* pkts, uint16_t n) noexcept {
  for (int i = 0; i < n && i < 4; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  for (int i = 0; i < n; ++i) {
    if (i + 4 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void*));
    eligible_[i] = parse(pkts[i], pkt_[i]);
    if (eligible_[i]) key(pkt_[i], i);
  }
  // By now the first buckets have arrived: probe them (which fetches the slots they name).
  for (int i = 0; i < n; ++i) {
    if (eligible_[i]) probe_[i] = ctx_.flows.probe(hash_[i]);
  }
  probedAt_ = ctx_.flows.changes();
}

bool FastLane::run(Burst& b, uint16_t first, TxBuffer& tx) noexcept {
  const int n = b.count;
  for (int j = 0; j < n; ++j) {
    if (!eligible_[first + j]) return false;
  }
  // An earlier burst through the pipeline (or expiry) added or removed flows since prepare():
  // its probes may name freed slots, so probe again.
  if (ctx_.flows.changes() != probedAt_) {
    for (int j = 0; j < n; ++j) probe_[first + j] = ctx_.flows.probe(hash_[first + j]);
  }
  ctx_.flows.lookupProbed(keyPtr_ + first, hash_ + first, probe_ + first, static_cast<uint32_t>(n),
                          pos_);
  last_.clear();
  for (int j = 0; j < n; ++j) {
    if (!check(b, j, first + j)) return false;
  }
  account_.begin(b);
  for (int j = 0; j < n; ++j) commit(b, j, first + j, tx);
  account_.end();
  ++bursts_;
  return true;
}

}  // namespace isogate::dataplane
