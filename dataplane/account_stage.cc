#include "dataplane/account_stage.h"

#include <rte_ring_elem.h>

#include "dataplane/policy_tables.h"
#include "dataplane/violation_record.h"
#include "dataplane/wire.h"
#include "mgmt/event.h"

namespace isogate::dataplane {

int eventTypeFor(DropReason r) noexcept {
  using mgmt::EventType;
  switch (r) {
    case DropReason::Malformed:
      return static_cast<int>(EventType::Malformed);
    case DropReason::SpoofedSource:
      return static_cast<int>(EventType::SpoofedSource);
    case DropReason::IsolationBreach:
      return static_cast<int>(EventType::IsolationBreach);
    case DropReason::PhysicalIsolation:
      return static_cast<int>(EventType::PhysicalIsolation);
    case DropReason::LogicalIsolation:
    case DropReason::RuleDeny:
    case DropReason::IntraZoneDeny:
    case DropReason::NoZone:
    case DropReason::FlowCut:
      return static_cast<int>(EventType::LogicalIsolation);
    default:
      return -1;
  }
}

namespace {

void fillRecord(ViolationRecord& r, const Burst& b, int i, int type, const WorkerContext& ctx) {
  const PacketMeta& md = b.meta[i];
  const bool v6 = md.l3 == L3Kind::Ipv6;
  const uint64_t dt = b.now > ctx.baseTsc ? b.now - ctx.baseTsc : 0;
  r.unixNs = ctx.baseUnixNs +
             static_cast<uint64_t>(static_cast<unsigned __int128>(dt) * 1000000000u / ctx.hz);
  wire::addrBytes(r.src, md.src, v6);
  wire::addrBytes(r.dst, md.dst, v6);
  r.rule = md.rule;
  r.policyGeneration = b.tables ? b.tables->generation() : 0;
  r.fromZone = md.srcZone;
  r.toZone = md.dstZone;
  r.sport = md.hasPorts ? md.sport : 0;
  r.dport = md.hasPorts ? md.dport : 0;
  r.ingressPort = b.inPort;
  r.type = static_cast<uint8_t>(type);
  r.family = md.l3 == L3Kind::Ipv4 ? 4 : (v6 ? 6 : 0);
  r.proto = md.l3 == L3Kind::Arp ? 0 : md.proto;
  r.icmpType = md.icmpType;
  r.hasIcmpType = md.hasIcmp;
  r.reason = static_cast<uint8_t>(md.reason);
}

}  // namespace

void AccountStage::process(Burst& b, TxBuffer& tx) noexcept {
  begin(b);
  for (int i = 0; i < b.count; ++i) one(b, i, tx);
  end();
}

void AccountStage::begin(const Burst& b) noexcept {
  tables_ = const_cast<PolicyTables*>(b.tables);
  nrec_ = 0;
  forwarded_ = tx_ = 0;
  runPackets_ = runBytes_ = 0;
  runVerdict_ = kNoRun;
}

void AccountStage::recordAllowed(const Burst& b, int i) noexcept {
  fillRecord(records_[nrec_++], b, i, static_cast<int>(mgmt::EventType::FlowAllowed), ctx_);
}

void AccountStage::countDrop(const Burst& b, int i) noexcept {
  const DropReason reason = b.meta[i].reason;
  bump(ctx_.counters.drops[static_cast<int>(reason)]);
  const int type = eventTypeFor(reason);
  if (type >= 0) fillRecord(records_[nrec_++], b, i, type, ctx_);
}

void AccountStage::flushRun() noexcept {
  if (runPackets_ == 0) return;
  const auto from = static_cast<uint16_t>(runKey_), to = static_cast<uint16_t>(runKey_ >> 16);
  const auto rule = static_cast<uint32_t>(runKey_ >> 32);
  PairCounters& pc = tables_->pairCounter(ctx_.index, from, to);
  PacketBytes& pb = runVerdict_ == 1 ? pc.forwarded : pc.dropped;
  bump(pb.packets, runPackets_);
  bump(pb.bytes, runBytes_);
  if (rule < tables_->ruleCount()) {
    PacketBytes& rb = tables_->ruleCounter(ctx_.index, rule);
    bump(rb.packets, runPackets_);
    bump(rb.bytes, runBytes_);
  }
  runPackets_ = runBytes_ = 0;
}

void AccountStage::end() noexcept {
  WorkerCounters& c = ctx_.counters;
  flushRun();
  if (forwarded_) bump(c.forwarded, forwarded_);
  if (tx_) bump(c.tx, tx_);
  if (nrec_ > 0) {
    const unsigned sent = ctx_.events
                              ? rte_ring_enqueue_burst_elem(ctx_.events, records_,
                                                            sizeof(ViolationRecord), nrec_, nullptr)
                              : 0;
    if (sent < nrec_) bump(c.eventsLost, nrec_ - sent);
  }
}

}  // namespace isogate::dataplane
