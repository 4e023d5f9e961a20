#include "gateway/dpdk_flows.h"

#include <rte_cycles.h>

#include <chrono>
#include <map>
#include <memory>

#include "dataplane/wire.h"
#include "policy/address.h"

namespace isogate::gateway {

namespace {

std::string text(const uint8_t* bytes, bool v6) {
  policy::IpAddress a;
  a.family = v6 ? policy::Family::V6 : policy::Family::V4;
  a.value = v6 ? dataplane::wire::rd128(bytes) : dataplane::wire::rd32(bytes);
  return policy::toString(a);
}

const char* tcpStateName(dataplane::TcpState s) {
  switch (s) {
    case dataplane::TcpState::SynSent:
      return "syn-sent";
    case dataplane::TcpState::SynReceived:
      return "syn-received";
    case dataplane::TcpState::Established:
      return "established";
    case dataplane::TcpState::Closing:
      return "closing";
    case dataplane::TcpState::Closed:
      return "closed";
    case dataplane::TcpState::None:
      break;
  }
  return "none";
}

}  // namespace

void requestFlows(dataplane::Dataplane& dp) {
  for (unsigned w = 0; w < dp.workerCount(); ++w) dp.worker(w).flowExport().request();
}

mgmt::FlowRecord flowRecordOf(const dataplane::ExportedFlow& f, const policy::CompiledPolicy& policy,
                              uint64_t nowTsc, uint64_t hz) {
  const dataplane::FlowKey& k = f.key;
  const dataplane::FlowEntry& e = f.entry;
  const bool v6 = k.family == 6;
  mgmt::FlowRecord r;
  r.family = v6 ? 6 : 4;
  r.proto = k.proto;
  r.src = text(e.initiatorIsLo ? k.lo : k.hi, v6);
  r.dst = text(e.initiatorIsLo ? k.hi : k.lo, v6);
  if (k.proto == policy::kProtoTcp || k.proto == policy::kProtoUdp) {
    r.sport = e.initiatorIsLo ? k.portLo : k.portHi;
    r.dport = e.initiatorIsLo ? k.portHi : k.portLo;
  }
  if (e.fromZone < policy.zones.size()) r.fromZone = policy.zones[e.fromZone].name;
  if (e.toZone < policy.zones.size()) r.toZone = policy.zones[e.toZone].name;
  if (e.rule < policy.rules.size()) r.rule = policy.rules[e.rule].name;
  if (k.proto == policy::kProtoTcp)
    r.state = tcpStateName(e.tcp);
  else if (k.proto == policy::kProtoUdp)
    r.state = e.replied ? "replied" : "unreplied";
  else
    r.state = "active";
  r.timeoutS = e.expires > nowTsc && hz ? (e.expires - nowTsc) / hz : 0;
  return r;
}

bool collectFlows(dataplane::Dataplane& dp, size_t max, mgmt::FlowSnapshot& out) {
  for (unsigned w = 0; w < dp.workerCount(); ++w)
    if (!dp.worker(w).flowExport().ready()) return false;
  out = mgmt::FlowSnapshot{};
  out.backend = "dpdk";
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t now = rte_rdtsc();
  uint64_t oldest = now;
  std::map<uint32_t, std::shared_ptr<const policy::CompiledPolicy>> policies;
  for (unsigned w = 0; w < dp.workerCount(); ++w) {
    const dataplane::FlowExport& ex = dp.worker(w).flowExport();
    out.total += ex.total();
    if (ex.tsc() < oldest) oldest = ex.tsc();
    for (uint32_t i = 0; i < ex.count() && out.flows.size() < max; ++i) {
      const dataplane::ExportedFlow& f = ex.flows()[i];
      auto& p = policies[f.entry.generation];
      if (!p) p = dp.policyOf(f.entry.generation);
      if (!p) continue;  // judged by a policy 16 reloads ago: re-checked on its next packet
      mgmt::FlowRecord r = flowRecordOf(f, *p, ex.tsc(), hz);
      if (r.fromZone.empty() || r.toZone.empty()) continue;
      out.flows.push_back(std::move(r));
    }
  }
  if (out.total < out.flows.size()) out.total = out.flows.size();
  const auto age = std::chrono::nanoseconds(
      static_cast<int64_t>(static_cast<double>(now - oldest) * 1e9 / static_cast<double>(hz ? hz : 1)));
  const auto taken = std::chrono::system_clock::now() - age;
  out.timeMs = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(taken.time_since_epoch()).count());
  return true;
}

}  // namespace isogate::gateway
