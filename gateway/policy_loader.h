// The one way the gateway loads a policy (start, SIGHUP, later the control socket): build
// it (load, check, compile, verify), check it against the gateway's interfaces, hand it to
// the backend, and report `policy-loaded` or `policy-rejected`. A policy that fails at any
// step leaves the running one in force.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/backend.h"
#include "gateway/event_output.h"
#include "policy/compiled.h"
#include "policy/gateway_config.h"

namespace isogate::gateway {

class PolicyLoader {
 public:
  // `config`, when given, is checked against every new policy (policy/gateway_config.h):
  // a reload may not make the gateway's own configuration wrong.
  PolicyLoader(Backend& backend, EventOutput& events, std::string policyPath, std::vector<BackendInterface> interfaces,
               const policy::GatewayConfig* config = nullptr);

  // Builds and applies the policy file; true when it is now the running policy.
  bool load();
  // The running policy, or null before the first successful load. Shared so that a reader
  // holding it (the NFLOG event path) is never left with a freed policy by a reload.
  std::shared_ptr<const policy::CompiledPolicy> current() const { return current_; }

 private:
  void reject(const std::string& digest, const std::vector<std::string>& diagnostics);
  // Interfaces against the policy's zones: every zone exists, forwarding interfaces are not
  // in two physically isolated zones (the gateway would be the forbidden link).
  std::vector<std::string> bindInterfaces(const policy::CompiledPolicy& p, std::vector<BackendInterface>& out) const;

  Backend& backend_;
  EventOutput& events_;
  std::string policyPath_;
  std::vector<BackendInterface> interfaces_;
  const policy::GatewayConfig* config_;
  std::shared_ptr<const policy::CompiledPolicy> current_;
};

}  // namespace isogate::gateway
