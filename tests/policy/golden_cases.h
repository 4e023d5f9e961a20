// Shared by the golden-file tests (broken policies, broken gateway configs):
// list the cases of a folder, read a file, compare diagnostics with NAME.expected
// (ISOGATE_UPDATE_GOLDEN=1 rewrites the .expected files: review the diff!).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "policy/diagnostics.h"

namespace isogate::policy::testing {

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The stems of every NAME.yaml in `dir`, sorted.
inline std::vector<std::string> goldenCases(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".yaml") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

// gtest parameter names: "case_" + the stem with '-' as '_'.
inline std::string goldenCaseName(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  std::replace(n.begin(), n.end(), '-', '_');
  return "case_" + n;
}

// The sorted diagnostics must be exactly dir/NAME.expected, with at least one error.
inline void expectGoldenDiagnostics(const std::filesystem::path& dir, const std::string& stem, const Diagnostics& diags) {
  std::string actual;
  for (const auto& d : diags.sorted()) actual += formatDiagnostic(d) + "\n";
  const std::filesystem::path expectedPath = dir / (stem + ".expected");
  if (std::getenv("ISOGATE_UPDATE_GOLDEN")) std::ofstream(expectedPath, std::ios::binary) << actual;
  ASSERT_TRUE(std::filesystem::exists(expectedPath)) << expectedPath;
  EXPECT_EQ(actual, readFile(expectedPath));
  EXPECT_GE(diags.errorCount(), 1);
}

}  // namespace isogate::policy::testing
