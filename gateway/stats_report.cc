#include "gateway/stats_report.h"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "policy/nft_ruleset.h"

namespace isogate::gateway {

namespace {

uint64_t nowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

const char* verdictOf(policy::Action a) { return a == policy::Action::Allow ? "allow" : "deny"; }

uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }  // counters are read one by one

void addRow(mgmt::GatewayStats& s, const policy::CompiledPolicy& p, size_t from, size_t to, std::string rule,
            const char* verdict, PacketBytesCount c) {
  if (c.packets == 0) return;
  s.pairs.push_back({p.zones[from].name, p.zones[to].name, std::move(rule), verdict, c.packets, c.bytes});
}

// What a pair's packets that no rule decided got: its default.
const char* defaultVerdict(const policy::CompiledPolicy& p, size_t a, size_t b) {
  const auto kind = p.pair(static_cast<uint16_t>(a), static_cast<uint16_t>(b));
  return kind == policy::PairKind::Intra && p.zones[a].intraZoneAllow ? "allow" : "deny";
}

}  // namespace

mgmt::GatewayStats statsFromDataplane(const policy::CompiledPolicy& p, const DataplaneCounts& c) {
  mgmt::GatewayStats s;
  s.timeMs = nowMs();
  s.backend = "dpdk";
  const size_t nz = p.zones.size();
  // Per pair and verdict, what the rules account for; the rest is the pair's default.
  std::vector<PacketBytesCount> ruled(nz * nz * 2);
  for (size_t i = 0; i < p.rules.size() && i < c.rules.size(); ++i) {
    const auto& r = p.rules[i];
    addRow(s, p, r.fromZone, r.toZone, r.name, verdictOf(r.action), c.rules[i]);
    auto& sum = ruled[(r.fromZone * nz + r.toZone) * 2 + (r.action == policy::Action::Allow ? 0 : 1)];
    sum.packets += c.rules[i].packets;
    sum.bytes += c.rules[i].bytes;
  }
  for (size_t a = 0; a < nz; ++a) {
    for (size_t b = 0; b < nz; ++b) {
      const size_t i = a * nz + b;
      if (i < c.pairForwarded.size()) {
        const auto& f = c.pairForwarded[i];
        addRow(s, p, a, b, "", "allow",
               {minus(f.packets, ruled[i * 2].packets), minus(f.bytes, ruled[i * 2].bytes)});
      }
      if (i < c.pairDropped.size()) {
        const auto& d = c.pairDropped[i];
        addRow(s, p, a, b, "", "deny",
               {minus(d.packets, ruled[i * 2 + 1].packets), minus(d.bytes, ruled[i * 2 + 1].bytes)});
      }
    }
  }
  s.drops = c.drops;
  s.eventsDropped = c.eventsLost;
  fitStatsReport(s);
  return s;
}

mgmt::GatewayStats statsFromNftCounters(const policy::CompiledPolicy& p,
                                        const std::map<std::string, PacketBytesCount>& counters) {
  mgmt::GatewayStats s;
  s.timeMs = nowMs();
  s.backend = "nftables";
  auto get = [&](const std::string& name) {
    auto it = counters.find(name);
    return it == counters.end() ? PacketBytesCount{} : it->second;
  };
  const size_t nz = p.zones.size();
  std::vector<PacketBytesCount> ruled(nz * nz);
  uint64_t ruleDenied = 0;
  for (const auto& r : p.rules) {
    const PacketBytesCount c = get(policy::nftRuleCounterName(r));
    addRow(s, p, r.fromZone, r.toZone, r.name, verdictOf(r.action), c);
    auto& sum = ruled[r.fromZone * nz + r.toZone];
    sum.packets += c.packets;
    sum.bytes += c.bytes;
    if (r.action == policy::Action::Deny) ruleDenied += c.packets;
  }
  uint64_t physical = 0, logical = 0;
  for (size_t a = 0; a < nz; ++a) {
    for (size_t b = 0; b < nz; ++b) {
      const PacketBytesCount pair =
          get(policy::nftPairChainName(p, static_cast<uint16_t>(a), static_cast<uint16_t>(b)));
      const auto& r = ruled[a * nz + b];
      const PacketBytesCount rest{minus(pair.packets, r.packets), minus(pair.bytes, r.bytes)};
      const char* verdict = defaultVerdict(p, a, b);
      addRow(s, p, a, b, "", verdict, rest);
      const auto kind = p.pair(static_cast<uint16_t>(a), static_cast<uint16_t>(b));
      if (kind == policy::PairKind::Physical) physical += rest.packets;
      else if (std::string(verdict) == "deny") logical += rest.packets;
    }
  }
  // The forward path's own drop counters, named like the DPDK data plane's drop reasons.
  const std::pair<const char*, const char*> named[] = {{"spoofed_source", "spoofed-source"},
                                                       {"isolation_breach", "isolation-breach"},
                                                       {"malformed", "malformed"},
                                                       {"monitor_drop", "monitor"},
                                                       {"unzoned", "no-zone"},
                                                       {policy::kNftFlowTableFullCounter, "flow-table-full"}};
  for (const auto& [counter, reason] : named)
    if (const uint64_t n = get(counter).packets) s.drops.push_back({reason, n});
  if (physical) s.drops.push_back({"physical-isolation", physical});
  if (logical) s.drops.push_back({"logical-isolation", logical});
  if (ruleDenied) s.drops.push_back({"rule-deny", ruleDenied});
  fitStatsReport(s);
  return s;
}

void fitStatsReport(mgmt::GatewayStats& s, size_t maxRows) {
  auto& rows = s.pairs;
  rows.erase(std::remove_if(rows.begin(), rows.end(), [](const mgmt::PairCounter& c) { return c.packets == 0; }),
             rows.end());
  if (rows.size() <= maxRows) return;
  // Keep the busiest rows (one place is kept per pair and verdict for the folded rest).
  std::stable_sort(rows.begin(), rows.end(),
                   [](const mgmt::PairCounter& x, const mgmt::PairCounter& y) { return x.packets > y.packets; });
  const size_t keep = maxRows / 2;
  std::map<std::tuple<std::string, std::string, std::string>, mgmt::PairCounter> folded;
  for (size_t i = keep; i < rows.size(); ++i) {
    const auto& c = rows[i];
    auto& f = folded[{c.fromZone, c.toZone, c.verdict}];
    f.fromZone = c.fromZone;
    f.toZone = c.toZone;
    f.verdict = c.verdict;
    f.rule = "(other rules)";
    f.packets += c.packets;
    f.bytes += c.bytes;
  }
  rows.resize(keep);
  for (auto& [key, c] : folded) rows.push_back(std::move(c));
}

}  // namespace isogate::gateway
