#include "dataplane/local_stage.h"

#include "dataplane/local_reply.h"
#include "dataplane/wire.h"

namespace isogate::dataplane {

using namespace wire;

void LocalStage::process(Burst& b) noexcept {
  for (int i = 0; i < b.count; ++i) {
    if (b.live(i)) handle(b, i);
  }
}



void LocalStage::arp(Burst& b, int i) noexcept {
  PacketMeta& md = b.meta[i];
  const uint8_t* a = rte_pktmbuf_mtod(b.pkts[i], const uint8_t*) + md.l2Len;
  const uint16_t port = b.inPort;
  md.path = Path::Local;
  if (md.src != 0 && ctx_.topo.connected<false>(port, md.src)) {
    ctx_.neighbours.learn(false, md.src, a + 8, b.now);
  }
  if (md.proto == 1 && ctx_.topo.ownAddress<false>(port, md.dst)) {
    makeArpReply(b.pkts[i], md, ctx_.topo.mac(port));
    md.action = Action::Transmit;
    md.outPort = port;
    bump(ctx_.counters.answered);
    return;
  }
  b.drop(i, DropReason::ArpIgnored);
}

namespace {
// The link-layer address option of the given type in an ND message, or nullptr.
const uint8_t* findOption(const uint8_t* opt, uint32_t len, uint8_t type) {
  while (len >= 8) {
    const uint32_t olen = opt[1] * 8u;
    if (olen == 0 || olen > len) return nullptr;
    if (opt[0] == type && olen >= 8) return opt + 2;
    opt += olen;
    len -= olen;
  }
  return nullptr;
}
}  // namespace

void LocalStage::neighbourDiscovery(Burst& b, int i) noexcept {
  PacketMeta& md = b.meta[i];
  const uint8_t* p = rte_pktmbuf_mtod(b.pkts[i], const uint8_t*);
  const uint8_t* ip = p + md.l2Len;
  const uint8_t* icmp = ip + md.l3Len;
  const uint32_t len = md.ipLen - md.l3Len;
  const uint16_t port = b.inPort;
  md.path = Path::Local;
  if (ip[7] != 255 || md.frag != FragKind::None) {  // ND from off-link, or fragmented: refuse
    b.drop(i, DropReason::Malformed);
    return;
  }
  if ((md.icmpType == 135 || md.icmpType == 136) && len < 24) {
    b.drop(i, DropReason::Malformed);
    return;
  }
  if (md.icmpType == 135) {
    const U128 target = rd128(icmp + 8);
    const uint8_t* slla = findOption(icmp + 24, len - 24, 1);
    if (md.src != 0 && slla && ctx_.topo.connected<true>(port, md.src)) {
      ctx_.neighbours.learn(true, md.src, slla, b.now);
    }
    if (md.src != 0 &&
        ctx_.topo.ownAddress<true>(port, target)) {  // DAD probes (src ::) get no answer
      makeNeighbourAdvert(b.pkts[i], md, target, slla ? slla : p + 6, ctx_.topo.mac(port));
      md.action = Action::Transmit;
      md.outPort = port;
      bump(ctx_.counters.answered);
      return;
    }
  } else if (md.icmpType == 136) {
    const U128 target = rd128(icmp + 8);
    const uint8_t* tlla = findOption(icmp + 24, len - 24, 2);
    if (ctx_.topo.connected<true>(port, target))
      ctx_.neighbours.learn(true, target, tlla ? tlla : p + 6, b.now);
  }
  b.drop(i, DropReason::ArpIgnored);  // router solicitations / adverts, redirects: not handled
}

}  // namespace isogate::dataplane
