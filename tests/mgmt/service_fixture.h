// Set-up the policy service and control service tests share: a fresh folder per
// test, the policy service's files inside it, and the roles the control tests
// give their callers.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "mgmt/control_roles.h"
#include "mgmt/policy_service.h"

namespace isogate::mgmt::testing {

// <TempDir>/<prefix>-<pid>-<test name>, emptied: the pid and test name keep
// parallel runs and tests apart, emptying drops what a crashed run left.
inline std::filesystem::path freshTestDir(const std::string& prefix) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      (prefix + "-" + std::to_string(::getpid()) + "-" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

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

}  // namespace isogate::mgmt::testing
