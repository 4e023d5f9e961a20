#include "gateway/dpdk_summary.h"

#include <rte_ethdev.h>

#include "dataplane/drop_reason.h"
#include "mgmt/event.h"

namespace isogate::gateway {

namespace {

std::string isolationName(policy::PairKind k) {
  switch (k) {
    case policy::PairKind::Intra: return "intra-zone";
    case policy::PairKind::Physical: return "physical";
    case policy::PairKind::Logical: return "logical";
  }
  return "?";
}

}  // namespace

void printSummary(std::FILE* out, DpdkBackend& backend, const policy::CompiledPolicy* policy,
                  const DemoReport& report) {
  auto& dp = backend.dataplane();
  const dataplane::CounterTotals t = dp.totals();
  std::fprintf(out, "\n== isogate-gw (dpdk): %llu packets received, %llu forwarded, %llu answered by the gateway, "
                    "%llu transmitted\n",
               static_cast<unsigned long long>(t.rx), static_cast<unsigned long long>(t.forwarded),
               static_cast<unsigned long long>(t.answered), static_cast<unsigned long long>(t.tx));
  if (policy) {
    std::fprintf(out, "policy %s (%s), %zu rules\n\n", policy->name.c_str(), policy->digest.c_str(),
                 policy->rules.size());
    const auto pairs = dp.pairTotals();
    const size_t nz = policy->zones.size();
    std::fprintf(out, "%-10s    %-10s %-11s %10s %10s\n", "from", "to", "isolation", "forwarded", "blocked");
    for (size_t a = 0; a < nz; ++a) {
      for (size_t b = 0; b < nz; ++b) {
        const size_t i = a * nz + b;
        if (i >= pairs.size() || (pairs[i].forwarded.packets == 0 && pairs[i].dropped.packets == 0)) continue;
        std::fprintf(out, "%-10s -> %-10s %-11s %10llu %10llu\n", policy->zones[a].name.c_str(),
                     policy->zones[b].name.c_str(),
                     isolationName(policy->pair(static_cast<uint16_t>(a), static_cast<uint16_t>(b))).c_str(),
                     static_cast<unsigned long long>(pairs[i].forwarded.packets),
                     static_cast<unsigned long long>(pairs[i].dropped.packets));
      }
    }
  } else {
    std::fprintf(out, "no policy was installed: everything was dropped (fail closed)\n");
  }
  std::fprintf(out, "\ndrops by reason:\n");
  for (int r = 1; r < dataplane::kDropReasonCount; ++r) {
    if (t.drops[r] == 0) continue;
    std::fprintf(out, "  %-22s %10llu\n", dataplane::dropReasonName(static_cast<dataplane::DropReason>(r)),
                 static_cast<unsigned long long>(t.drops[r]));
  }
  std::fprintf(out, "\nviolations found (records from the data plane, by type):\n");
  const auto& byType = backend.recordsByType();
  for (size_t ty = 0; ty < byType.size(); ++ty) {
    if (byType[ty] == 0) continue;
    const auto type = static_cast<mgmt::EventType>(ty);
    std::fprintf(out, "  %-20s %-8s %8llu\n", mgmt::eventTypeName(type), mgmt::severityName(mgmt::eventSeverity(type)),
                 static_cast<unsigned long long>(byType[ty]));
  }
  if (t.eventsLost) {
    std::fprintf(out, "  (%llu records did not fit the event ring)\n", static_cast<unsigned long long>(t.eventsLost));
  }
  std::fprintf(out, "\nports:\n");
  const auto& ports = backend.ports();
  for (size_t i = 0; i < ports.size(); ++i) {
    rte_eth_stats st{};
    rte_eth_stats_get(backend.dpdkPorts().portId(i), &st);
    std::fprintf(out, "  %-10s %-9s %-8s rx %6llu  tx %6llu  %s\n", ports[i].name.c_str(),
                 backend.portZones()[i].c_str(), ports[i].monitor ? "monitor" : "forward",
                 static_cast<unsigned long long>(st.ipackets), static_cast<unsigned long long>(st.opackets),
                 ports[i].device.c_str());
  }
  if (!report.examples.empty()) {
    std::fprintf(out, "\nexample events (RFC 5424):\n");
    for (const auto& l : report.examples) std::fprintf(out, "  %s\n", l.c_str());
  }
  std::fprintf(out, "\n%llu events%s%s\n", static_cast<unsigned long long>(report.events),
               report.eventsFile.empty() ? "" : " written to ", report.eventsFile.c_str());
}

}  // namespace isogate::gateway
