// Set-up the policy service and control service tests share: a fresh folder per
// test, the policy service's files inside it, the roles the control tests give
// their callers, and a whole control service stack over them.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include "mgmt/audit_trail.h"
#include "mgmt/control_roles.h"
#include "mgmt/control_service.h"
#include "mgmt/event_pipeline.h"
#include "mgmt/policy_service.h"
#include "tests/fresh_test_dir.h"

namespace isogate::mgmt::testing {

using isogate::testing::freshTestDir;

// The policy file and the history folder inside `dir`.
inline PolicyServiceOptions serviceOptionsIn(const std::filesystem::path& dir) {
  PolicyServiceOptions o;
  o.policyPath = (dir / "policy.yaml").string();
  o.stateDir = (dir / "state").string();
  return o;
}

// One user or group per role, the names the tests call as.
inline RoleMap testRoles() {
  RoleMap roles;
  roles.admin = {"root"};
  roles.officer = {"isogate-officer"};
  roles.auditor = {"isogate-audit"};
  return roles;
}

// A control service over a real policy service (policy file "name: one"), audit
// trail and event pipeline, all in a fresh folder removed after the test. The
// checker and reload hook are the test's, so each test decides what a policy is.
class ControlServiceFixture : public ::testing::Test {
 protected:
  // Call from SetUp under ASSERT_NO_FATAL_FAILURE: after a failure here nothing
  // is usable and the test must not run.
  void startControl(const std::string& dirPrefix, PolicyChecker checker, GatewayReloadHook reload) {
    dir_ = freshTestDir(dirPrefix);
    std::ofstream(dir_ / "policy.yaml") << "name: one\n";
    policy_ = std::make_unique<PolicyService>(serviceOptionsIn(dir_), std::move(checker),
                                              std::move(reload));
    std::string err;
    ASSERT_TRUE(policy_->init(err)) << err;
    audit_ = std::make_unique<AuditTrail>((dir_ / "audit.log").string());
    ASSERT_TRUE(audit_->open(err));
    pipeline_ = std::make_unique<EventPipeline>(PipelineOptions{});
    service_ = std::make_unique<ControlService>(
        ControlDeps{*pipeline_, *policy_, *audit_, testRoles(), {}, {}, {}});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::unique_ptr<PolicyService> policy_;
  std::unique_ptr<AuditTrail> audit_;
  std::unique_ptr<EventPipeline> pipeline_;
  std::unique_ptr<ControlService> service_;  // last: it holds the others
};

}  // namespace isogate::mgmt::testing
