#include "gateway/nft_backend.h"

#include "gateway/conntrack_flows.h"
#include "gateway/conntrack_sweep.h"

namespace isogate::gateway {

policy::NftRuleset failClosedRuleset() {
  policy::NftRuleset rs;
  rs.policyName = "(none: fail closed)";
  rs.chains.push_back({"forward", policy::NftBaseChain{policy::NftHook::Forward, 0, true}, {}});
  return rs;
}

ConntrackSweeper kernelConntrackSweeper() {
  return [](const policy::CompiledPolicy& p, const std::vector<policy::IpAddress>& local, const policy::LocalTime& now) {
    sweepConntrack(p, local, now);
  };
}

NftBackend::NftBackend(RulesetSink& sink, std::vector<policy::IpAddress> localAddresses, ConntrackSweeper sweeper)
    : sink_(sink), sweeper_(std::move(sweeper)), local_(std::move(localAddresses)) {}

bool NftBackend::start(std::string& error) {
  // Rules left by an earlier run were the last good policy: they stay in force until the
  // new policy replaces them in one transaction (never a window with less than either).
  if (sink_.tableExists()) return true;
  auto r = install(failClosedRuleset());
  error = r.error;
  return r.ok;
}

ApplyResult NftBackend::install(const policy::NftRuleset& ruleset) {
  ApplyResult r;
  if (!sink_.replace(ruleset, r.error)) return r;  // the kernel kept what it had
  if (!sink_.verify(ruleset, r.error)) {
    // The kernel holds something other than what was sent: trust neither, drop everything.
    std::string why = "readback mismatch: " + r.error;
    std::string closeError;
    const auto closed = failClosedRuleset();
    r.failedClosed = true;
    if (!sink_.replace(closed, closeError) || !sink_.verify(closed, closeError)) {
      why += "; installing the fail-closed ruleset failed too: " + closeError;
    }
    r.error = why;
    applied_ = closed;
    return r;
  }
  applied_ = ruleset;
  r.ok = true;
  return r;
}

ApplyResult NftBackend::apply(const policy::CompiledPolicy& policy, const std::vector<BackendInterface>& interfaces) {
  policy::NftBuildOptions options = policy::hostNftBuildOptions();
  options.flowLimit = flowLimit_;
  for (const auto& i : interfaces) {
    if (i.zoneId < 0) return {false, false, "interface '" + i.name + "' has no zone in this policy"};
    options.interfaces.push_back({i.name, static_cast<uint16_t>(i.zoneId), i.monitor});
  }
  ApplyResult r = install(policy::buildNftRuleset(policy, options));
  if (!r.ok) return r;
  options_ = options;
  running_ = policy;
  interfaces_ = interfaces;
  // Established flows the new policy denies would still pass as `established`: end them.
  sweeper_(policy, local_, policy::localTimeNow());
  return r;
}

bool NftBackend::stats(mgmt::GatewayStats& out, std::string& error) {
  if (!running_) {
    error = "no policy is running";
    return false;
  }
  std::map<std::string, PacketBytesCount> counters;
  if (!sink_.counters(counters, error)) return false;
  out = statsFromNftCounters(*running_, counters);
  return true;
}

void NftBackend::tick() {
  const policy::LocalTime t = policy::localTimeNow();
  const int minute = t.weekday * 1440 + t.minute;
  if (!running_ || minute == lastMinute_) return;
  lastMinute_ = minute;
  policy::NftBuildOptions now = policy::hostNftBuildOptions();
  if (now.utcOffsetMinutes != options_.utcOffsetMinutes || now.kernelTzMinutesWest != options_.kernelTzMinutesWest) {
    const policy::CompiledPolicy running = *running_;
    const std::vector<BackendInterface> interfaces = interfaces_;
    apply(running, interfaces);
    return;
  }
  sweeper_(*running_, local_, t);
}

bool NftBackend::flowSnapshot(mgmt::FlowSnapshot& out, size_t max, std::string& error) {
  if (!running_) {
    error = "no policy in force";
    return false;
  }
  return snapshotConntrack(*running_, local_, policy::localTimeNow(), max, out, error);
}

}  // namespace isogate::gateway
