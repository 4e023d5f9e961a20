#include "dataplane/flow_stage.h"

#include <rte_prefetch.h>

#include "dataplane/policy_tables.h"

namespace isogate::dataplane {

using namespace wire;

bool isEchoReply(const PacketMeta& md, bool v6) noexcept {
  return md.hasIcmp && md.icmpType == (v6 ? 129 : 0);
}

void setInitiatorView(PacketMeta& md, bool v6) noexcept {
  md.clsProto = md.proto;
  md.clsHasIcmp = md.hasIcmp;
  if (!md.replyDir) {
    md.clsSrc = md.src;
    md.clsDst = md.dst;
    md.clsDport = md.hasPorts ? md.dport : 0;
    md.clsIcmpType = md.icmpType;
    return;
  }
  md.clsSrc = md.dst;
  md.clsDst = md.src;
  md.clsDport = md.hasPorts ? md.sport : 0;
  md.clsIcmpType = isEchoReply(md, v6) ? (v6 ? 128 : 8) : md.icmpType;
}

void FlowStage::advance(FlowEntry& e, PacketMeta& md, uint64_t now) noexcept {
  advanceFlow(e, md.proto, md.hasIcmp, md.replyDir, md.tcpFlags, ctx_.timeouts, now);
}

void FlowStage::process(Burst& b) noexcept {
  begin();
  for (int i = 0; i < b.count; ++i) {
    if (b.live(i)) addKey(b, i);
  }
  lookup();
  for (int i = 0; i < b.count; ++i) {
    if (b.live(i)) decide(b, i);
  }
}

// The flow decision for the tracked packet with key k. Decisions are taken in burst order and
// only they (and the classifier, later) change the table, as when each packet was looked up
// on its own; an entry erased by an earlier packet of the burst is met again as expired.
void FlowStage::resolveOne(Burst& b, uint32_t k) noexcept {
  const uint32_t generation = b.tables->generation();
  {
    PacketMeta& md = b.meta[index_[k]];
    const bool v6 = b.isV6(index_[k]);
    int32_t p = pos_[k];
    if (p >= 0) [[likely]] {
      FlowEntry& e = ctx_.flows.entry(p);
      const bool reply = srcIsLo_[k] != e.initiatorIsLo;
      const bool restart = md.proto == kProtoTcp && !reply && isPureSyn(md.tcpFlags) &&
                           (e.tcp == TcpState::Closing || e.tcp == TcpState::Closed);
      const bool expired = e.expires <= b.now;
      if (expired || restart) [[unlikely]] {
        ctx_.flows.erase(keys_[k]);
        if (expired) bump(ctx_.counters.flowsExpired);
        p = -1;
      } else {
        md.flow = p;
        md.replyDir = reply;
        md.rule = e.rule;
        advance(e, md, b.now);
        if (e.generation != generation) [[unlikely]] {
          md.reClassify = true;
          ++candidates_;
          setInitiatorView(md, v6);
        } else {
          md.path = Path::Established;
        }
        return;
      }
    }
    md.pendingNew = true;
    md.path = Path::NewFlow;
    ++candidates_;
    setInitiatorView(md, v6);
  }
}

void FlowStage::fragment(Burst& b, int i) noexcept {
  PacketMeta& md = b.meta[i];
  FragVerdict v;
  if (!ctx_.frags.find(b.isV6(i), md, b.now, &v)) {
    b.drop(i, DropReason::Malformed);  // orphan: its first fragment was not seen or not allowed
    return;
  }
  md.path = Path::Fragment;
  md.rule = v.rule;
}

void FlowStage::related(Burst& b, int i) noexcept {
  PacketMeta& md = b.meta[i];
  const bool v6 = b.isV6(i);
  if (md.icmpError) {
    FlowKey key;
    bool lo;
    makeFlowKey(v6, md.innerProto, md.innerSrc, md.innerDst, md.innerSport, md.innerDport, &key,
                &lo);
    const int32_t p = ctx_.flows.lookup(key);
    if (p >= 0 && ctx_.flows.entry(p).expires > b.now &&
        ctx_.flows.entry(p).generation == b.tables->generation()) {
      md.path = Path::Related;
      md.rule = ctx_.flows.entry(p).rule;
      return;
    }
  }
  md.pendingNew = true;  // judged on its own by the policy, no state kept
  ++candidates_;
  md.path = Path::Stateless;
  setInitiatorView(md, v6);
}

}  // namespace isogate::dataplane
