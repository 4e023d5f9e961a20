// The one way isogate-mgmtd changes the running policy (STYLE: every transport
// calls one service function): apply the configured policy file, confirm a
// "commit confirmed" reload, roll back. The last 10 applied policies are kept
// under STATE_DIR/history so a rollback restores the exact previous text.
// The gateway is told through an injected hook (gateway_reload.h: SIGHUP).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace isogate::mgmt {

struct PolicyCheck {
  bool ok = false;
  std::string digest, name;
  std::vector<std::string> diagnostics;  // GCC-style lines (errors and warnings)
};
// Compiles the file at `path` (in mgmtd: policy::buildPolicyFile).
using PolicyChecker = std::function<PolicyCheck(const std::string& path)>;
// Makes the gateway load the policy file now; false + error when it could not be told.
using GatewayReloadHook = std::function<bool(std::string& error)>;

struct PolicyEntry {
  uint64_t seq = 0;
  std::string digest, name;
  std::string appliedAt;  // RFC 3339
  std::string by;         // user who applied it ("baseline" for the first one seen)
  std::string file;       // the saved copy under history/
};

struct PolicyOutcome {
  bool ok = false;
  std::string error;                     // when !ok
  std::vector<std::string> diagnostics;  // of the compile
  std::string digest, name;              // the policy in force afterwards (or the rejected one)
  std::string previousDigest;
  std::optional<std::chrono::system_clock::time_point> confirmDeadline;
  bool gatewayNotified = false;
  bool unchanged = false;  // apply: the file is the policy already in force
};

struct PolicyServiceOptions {
  std::string policyPath;  // the gateway config's `policy:` (resolved)
  std::string stateDir = "/var/lib/isogate";
  size_t keep = 10;
};

class PolicyService {
 public:
  using Clock = std::chrono::system_clock;

  PolicyService(PolicyServiceOptions options, PolicyChecker checker, GatewayReloadHook reload);

  // Loads the history and a pending confirmation left by a previous run; records
  // the current policy file as the baseline when the history is empty.
  bool init(std::string& error);

  // Compiles policyPath; when valid, saves it, tells the gateway, and with
  // `confirmWithin` arms an automatic rollback. A rejected policy changes nothing.
  PolicyOutcome apply(const std::string& by, std::optional<std::chrono::seconds> confirmWithin,
                      Clock::time_point now);
  PolicyOutcome confirm(const std::string& by, Clock::time_point now);
  // Restores the policy before the current one (the one a pending reload replaced).
  PolicyOutcome rollback(const std::string& by, Clock::time_point now);
  // Called periodically: rolls back when a confirmation deadline has passed.
  std::optional<PolicyOutcome> tick(Clock::time_point now);

  std::optional<PolicyEntry> current() const;
  std::optional<Clock::time_point> pendingDeadline() const { return pending_; }
  const std::vector<PolicyEntry>& history() const { return history_; }
  const std::string& policyPath() const { return options_.policyPath; }

 private:
  bool saveEntry(const std::string& text, const PolicyCheck& check, const std::string& by,
                 Clock::time_point now, std::string& error);
  void trimHistory();
  bool persistPending(std::string& error);
  PolicyOutcome restorePrevious(const std::string& by, Clock::time_point now);

  PolicyServiceOptions options_;
  PolicyChecker checker_;
  GatewayReloadHook reload_;
  std::vector<PolicyEntry> history_;  // oldest first; back() is in force
  std::optional<Clock::time_point> pending_;
};

}  // namespace isogate::mgmt
