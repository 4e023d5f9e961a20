#include "dataplane/monitor_stage.h"

#include "dataplane/address_scope.h"
#include "dataplane/policy_tables.h"

namespace isogate::dataplane {

void MonitorStage::process(Burst& b) noexcept {
  const PolicyTables& t = *b.tables;
  const uint16_t portZone = t.portZone(b.inPort);
  for (int i = 0; i < b.count; ++i) {
    if (!b.live(i)) continue;
    PacketMeta& md = b.meta[i];
    const bool v6 = md.l3 == L3Kind::Ipv6;
    md.srcZone = v6 ? t.zones().lookup6(md.src) : t.zones().lookup4(static_cast<uint32_t>(md.src));
    md.dstZone = v6 ? t.zones().lookup6(md.dst) : t.zones().lookup4(static_cast<uint32_t>(md.dst));
    auto isolated = [&](uint16_t z) {
      return z != kNoZone && t.pair(portZone, z) == policy::PairKind::Physical;
    };
    // Multicast, link-local and unspecified addresses (DHCP, ND, ARP probes) prove nothing.
    const bool srcUnicast = v6 ? routableUnicast<true>(md.src) : routableUnicast<false>(md.src);
    const bool dstUnicast = v6 ? routableUnicast<true>(md.dst) : routableUnicast<false>(md.dst);
    const bool srcCounts = srcUnicast && isolated(md.srcZone);
    const bool dstCounts = dstUnicast && isolated(md.dstZone);
    b.drop(i, srcCounts || dstCounts ? DropReason::IsolationBreach : DropReason::Monitor);
  }
  (void)ctx_;
}

}  // namespace isogate::dataplane
