// What each control command does (docs/control-protocol.md): parse, check the
// caller's role, run it through the one service (PolicyService, the event
// pipeline, the audit trail), and audit it — refused and bad requests too.
// isogatectl and any other client are thin shims over handle().
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "mgmt/audit_trail.h"
#include "mgmt/control_protocol.h"
#include "mgmt/control_roles.h"
#include "mgmt/event_pipeline.h"
#include "mgmt/flow_store.h"
#include "mgmt/policy_service.h"

namespace isogate::mgmt {

struct ControlDeps {
  EventPipeline& pipeline;
  PolicyService& policy;
  AuditTrail& audit;
  RoleMap roles;
  // Extra parts of `status` and `stats` the daemon knows (uptime, intake, sensors).
  std::function<nlohmann::ordered_json()> statusExtra;
  std::function<nlohmann::ordered_json()> statsExtra;
  // Called after a successful reload or rollback, so the daemon can refresh
  // what depends on the policy (the sensors' auditors).
  std::function<void()> policyChanged;
};

class ControlService {
 public:
  explicit ControlService(ControlDeps deps);

  // One request line in, one response line out (no newline).
  std::string handle(const PeerIdentity& who, std::string_view line,
                     std::chrono::system_clock::time_point now);

  // The periodic confirmation check: rolls back an unconfirmed reload, audited.
  void tick(std::chrono::system_clock::time_point now);

  // Where `flows` reads the gateway's latest flow snapshot (none: `flows` is unavailable).
  void setFlowStore(const FlowStore* store) { flows_ = store; }

 private:
  std::string run(const ControlRequest& r, const PeerIdentity& who, Role role,
                  std::chrono::system_clock::time_point now, nlohmann::ordered_json& details,
                  std::string& result);
  std::string policyChange(Command cmd, const PolicyOutcome& out, nlohmann::ordered_json& details,
                           std::string& result);
  void record(const PeerIdentity& who, const std::string& role, const std::string& action,
              const std::string& result, nlohmann::ordered_json details);
  std::string currentDigest() const;
  std::string flows(std::chrono::system_clock::time_point now, nlohmann::ordered_json& details,
                    std::string& result);

  ControlDeps deps_;
  const FlowStore* flows_ = nullptr;
};

}  // namespace isogate::mgmt
