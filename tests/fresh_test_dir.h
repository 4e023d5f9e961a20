// A folder of its own for each test, shared by the unit tests of every part that
// write files (gateway, mgmt): a crashed run's leftovers never leak into the next.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace isogate::testing {

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

}  // namespace isogate::testing
