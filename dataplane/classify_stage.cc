#include "dataplane/classify_stage.h"

#include <cstring>

#include "dataplane/policy_tables.h"
#include "dataplane/tcp_state.h"

namespace isogate::dataplane {

using namespace wire;

namespace {

uint16_t be16(uint16_t v) { return static_cast<uint16_t>(v >> 8 | v << 8); }

union AnyKey {
  AclKey4 v4;
  AclKey6 v6;
};

void fillKey(const PacketMeta& md, bool v6, AnyKey& k) {
  std::memset(&k, 0, sizeof k);
  // A packet without an ICMP type carries 0xffff, which only a term accepting every type covers.
  const uint16_t icmp = md.clsHasIcmp ? md.clsIcmpType : 0xffff;
  if (v6) {
    k.v6.proto = md.clsProto;
    wr128(k.v6.src, md.clsSrc);
    wr128(k.v6.dst, md.clsDst);
    k.v6.dport = be16(md.clsDport);
    k.v6.icmpType = be16(icmp);
  } else {
    k.v4.proto = md.clsProto;
    wr32(reinterpret_cast<uint8_t*>(&k.v4.src), static_cast<uint32_t>(md.clsSrc));
    wr32(reinterpret_cast<uint8_t*>(&k.v4.dst), static_cast<uint32_t>(md.clsDst));
    k.v4.dport = be16(md.clsDport);
    k.v4.icmpType = be16(icmp);
  }
}

}  // namespace

void ClassifyStage::process(Burst& b) noexcept {
  const PolicyTables& t = *b.tables;
  AnyKey keys[kBurstSize];
  int cand[kBurstSize];
  uint16_t from[kBurstSize], to[kBurstSize];
  int n = 0;
  for (int i = 0; i < b.count; ++i) {
    const PacketMeta& md = b.meta[i];
    if (!b.live(i) || !(md.pendingNew || md.reClassify)) continue;
    from[n] = md.replyDir ? md.dstZone : md.srcZone;
    to[n] = md.replyDir ? md.srcZone : md.dstZone;
    fillKey(md, b.isV6(i), keys[i]);
    cand[n++] = i;
  }
  bool done[kBurstSize] = {};
  bool inserted = false;
  const uint8_t* data[kBurstSize];
  uint32_t results[kBurstSize];
  int members[kBurstSize];
  for (int a = 0; a < n; ++a) {
    if (done[a]) continue;
    const bool v6 = b.isV6(cand[a]);
    uint32_t m = 0;
    for (int c = a; c < n; ++c) {
      if (done[c] || from[c] != from[a] || to[c] != to[a] || b.isV6(cand[c]) != v6) continue;
      done[c] = true;
      data[m] = reinterpret_cast<const uint8_t*>(&keys[cand[c]]);
      members[m++] = cand[c];
    }
    t.classifier().classify(from[a], to[a], v6, data, results, m);
    for (uint32_t k = 0; k < m; ++k) decide(b, members[k], results[k], inserted);
  }
  // Allowed first fragments open the way for the rest of their datagram.
  for (int i = 0; i < b.count; ++i) {
    const PacketMeta& md = b.meta[i];
    if (b.live(i) && md.frag == FragKind::First) {
      ctx_.frags.remember(b.isV6(i), md, {md.rule, md.srcZone, md.dstZone},
                          b.now + ctx_.timeouts.fragment);
    }
  }
}

void ClassifyStage::decide(Burst& b, int i, uint32_t rule, bool& inserted) noexcept {
  const PolicyTables& t = *b.tables;
  PacketMeta& md = b.meta[i];
  const uint16_t from = md.replyDir ? md.dstZone : md.srcZone;
  const uint16_t to = md.replyDir ? md.srcZone : md.dstZone;
  const bool intra = t.pair(from, to) == policy::PairKind::Intra;
  bool allow;
  DropReason deny;
  if (rule != kNoMatch) {
    allow = t.rule(rule).allow;
    deny = DropReason::RuleDeny;
  } else {
    allow = intra && t.intraAllow(from);
    deny = intra ? DropReason::IntraZoneDeny : DropReason::LogicalIsolation;
  }
  md.rule = rule;
  if (md.reClassify) {
    FlowEntry& e = ctx_.flows.entry(md.flow);
    if (allow) {
      e.generation = t.generation();
      e.rule = rule;
      e.fromZone = from;
      e.toZone = to;
      md.path = Path::Established;
      return;
    }
    FlowKey key;
    bool lo;
    makeFlowKey(b.isV6(i), md.proto, md.src, md.dst, md.sport, md.dport, &key, &lo);
    ctx_.flows.erase(key);
    md.flow = -1;
    b.drop(i, DropReason::FlowCut);
    return;
  }
  if (!allow) {
    b.drop(i, deny);
    return;
  }
  commitNew(b, i, inserted);
}

void ClassifyStage::commitNew(Burst& b, int i, bool& inserted) noexcept {
  const PolicyTables& t = *b.tables;
  PacketMeta& md = b.meta[i];
  const bool v6 = b.isV6(i);
  if (md.path == Path::Stateless || !tracked(md, v6) || isEchoReply(md, v6)) {
    md.path = Path::Stateless;  // allowed packet by packet; nothing to remember
    return;
  }
  FlowKey key;
  bool srcIsLo;
  makeFlowKey(v6, md.proto, md.src, md.dst, md.sport, md.dport, &key, &srcIsLo);
  if (inserted) {  // an earlier packet of this burst may have opened this very flow
    const int32_t p = ctx_.flows.lookup(key);
    if (p >= 0) {
      FlowEntry& e = ctx_.flows.entry(p);
      md.replyDir = srcIsLo != e.initiatorIsLo;
      md.flow = p;
      md.rule = e.rule;
      flowStage_.advance(e, md, b.now);
      md.path = Path::Established;
      return;
    }
  }
  if (md.proto == kProtoTcp && !isPureSyn(md.tcpFlags)) {
    b.drop(i, DropReason::TcpInvalid);  // allowed, but not the start of a connection
    return;
  }
  const int32_t p = ctx_.flows.insert(key);
  if (p < 0) {
    b.drop(i, DropReason::FlowTableFull);
    return;
  }
  inserted = true;
  bump(ctx_.counters.flowsCreated);
  FlowEntry& e = ctx_.flows.entry(p);
  e = FlowEntry{};
  e.generation = t.generation();
  e.rule = md.rule;
  e.fromZone = md.srcZone;
  e.toZone = md.dstZone;
  e.initiatorIsLo = srcIsLo;
  e.tcp = md.proto == kProtoTcp ? TcpState::SynSent : TcpState::None;
  md.flow = p;
  md.replyDir = false;
  flowStage_.advance(e, md, b.now);
  md.path = Path::NewFlow;
  md.logFlow = md.rule != kNoMatch && t.rule(md.rule).log;
}

}  // namespace isogate::dataplane
