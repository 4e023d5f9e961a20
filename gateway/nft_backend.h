// The kernel backend: the policy enforced by nftables. Builds the one ruleset model
// (policy/nft_ruleset.h) for the policy and the gateway's interfaces, hands it to a
// RulesetSink as one transaction (table `inet isogate` replaced as a whole), reads it back,
// and removes the connection-table entries of flows the new policy no longer allows.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/backend.h"
#include "gateway/stats_report.h"
#include "policy/nft_ruleset.h"

namespace isogate::gateway {

// Where a ruleset goes: the kernel over netlink (nft_netlink_sink.h), or a recording for tests.
class RulesetSink {
 public:
  virtual ~RulesetSink() = default;
  // Replaces table inet isogate with `ruleset` in one transaction: all of it or nothing.
  virtual bool replace(const policy::NftRuleset& ruleset, std::string& error) = 0;
  // Reads the table back: true when the kernel holds exactly `ruleset`.
  virtual bool verify(const policy::NftRuleset& ruleset, std::string& error) = 0;
  // Whether table inet isogate exists (rules of an earlier run still in force).
  virtual bool tableExists() = 0;
  // The table's named counters (name -> packets, bytes); false + error when unreadable.
  virtual bool counters(std::map<std::string, PacketBytesCount>& out, std::string& error) {
    (void)out;
    error = "this sink has no counters";
    return false;
  }
};

// The ruleset in force before any policy: the forward path drops everything (base chain
// with policy drop and no rule), the gateway's own traffic is left as the host has it.
policy::NftRuleset failClosedRuleset();

// Ends the connection-table entries of flows a policy denies now (gateway/conntrack_sweep.h);
// injected so that tests never touch the host's connection table.
using ConntrackSweeper = std::function<void(const policy::CompiledPolicy&, const std::vector<policy::IpAddress>& local,
                                            const policy::LocalTime& now)>;
ConntrackSweeper kernelConntrackSweeper();

class NftBackend : public Backend {
 public:
  NftBackend(RulesetSink& sink, std::vector<policy::IpAddress> localAddresses,
             ConntrackSweeper sweeper = kernelConntrackSweeper());
  const char* name() const override { return "nftables"; }
  bool start(std::string& error) override;
  ApplyResult apply(const policy::CompiledPolicy& policy, const std::vector<BackendInterface>& interfaces) override;
  // At each new minute: ends flows whose schedule window closed, and re-renders when the
  // host's UTC offset changed (schedules are local time, the kernel's clock matches are not).
  void tick() override;
  // The kernel's connection table over ctnetlink (gateway/conntrack_flows.h).
  bool flowSnapshot(mgmt::FlowSnapshot& out, size_t max, std::string& error) override;
  bool stats(mgmt::GatewayStats& out, std::string& error) override;

  const policy::NftRuleset& lastApplied() const { return applied_; }
  // The gateway config's `flows.max` (0 = none), enforced by every ruleset applied after.
  void setFlowLimit(uint32_t max) { flowLimit_ = max; }

 private:
  ApplyResult install(const policy::NftRuleset& ruleset);

  RulesetSink& sink_;
  ConntrackSweeper sweeper_;
  std::vector<policy::IpAddress> local_;
  policy::NftRuleset applied_;
  policy::NftBuildOptions options_;
  std::optional<policy::CompiledPolicy> running_;
  std::vector<BackendInterface> interfaces_;
  int lastMinute_ = -1;
  uint32_t flowLimit_ = 0;
};

}  // namespace isogate::gateway
