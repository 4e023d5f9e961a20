// Robustness: thousands of deterministic random mutations of valid policies
// and gateway configs (truncation, byte flips, YAML punctuation, line
// deletion/duplication/swaps, indentation changes). Loading and checking must
// never crash or throw, and every diagnostic must point inside the input.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "policy/checker.h"
#include "policy/gateway_config.h"
#include "policy/loader.h"

namespace isogate::policy {
namespace {

const std::string kFixtures = std::string(ISOGATE_SOURCE_DIR) + "/tests/policy/fixtures/";

std::string readFile(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> splitLines(const std::string& t) {
  std::vector<std::string> lines;
  std::string cur;
  for (const char c : t) {
    cur += c;
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  return lines;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l;
  return out;
}

std::string mutate(std::string text, std::mt19937& rng) {
  auto pick = [&](size_t n) {
    return n == 0 ? size_t{0} : std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  static const std::string kPunct = ": -[]{},#&*!|>'\"%@`\t\n~?0";
  const int rounds = 1 + static_cast<int>(pick(4));
  for (int r = 0; r < rounds && !text.empty(); ++r) {
    std::vector<std::string> lines = splitLines(text);
    switch (pick(7)) {
      case 0:
        text.resize(pick(text.size()));
        break;
      case 1:
        text[pick(text.size())] = static_cast<char>(pick(256));
        break;
      case 2:
        text[pick(text.size())] = kPunct[pick(kPunct.size())];
        break;
      case 3:
        lines.erase(lines.begin() + static_cast<long>(pick(lines.size())));
        text = join(lines);
        break;
      case 4: {
        const size_t i = pick(lines.size());
        lines.insert(lines.begin() + static_cast<long>(i), lines[i]);
        text = join(lines);
        break;
      }
      case 5:
        std::swap(lines[pick(lines.size())], lines[pick(lines.size())]);
        text = join(lines);
        break;
      case 6: {
        std::string& l = lines[pick(lines.size())];
        if (pick(2) && l.starts_with("  "))
          l.erase(0, 2);
        else
          l.insert(0, "  ");
        text = join(lines);
        break;
      }
    }
  }
  return text;
}

void expectPositionsInside(const Diagnostics& d, const std::string& name, const std::string& text) {
  const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 2;
  for (const auto& x : d.all()) {
    EXPECT_EQ(x.where.file, name);
    EXPECT_GE(x.where.line, 0);
    EXPECT_LE(x.where.line, lines) << formatDiagnostic(x);
    EXPECT_GE(x.where.column, 0);
    EXPECT_FALSE(x.message.empty());
  }
}

TEST(MutationRobustnessTest, PoliciesNeverCrashTheLoaderOrChecker) {
  const std::vector<std::string> seeds = {readFile(kFixtures + "clean.yaml"),
                                          readFile(kFixtures + "spec-example.yaml")};
  std::mt19937 rng(20261126);
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = mutate(seeds[static_cast<size_t>(i) % seeds.size()], rng);
    Diagnostics d;
    EXPECT_NO_THROW({
      const Policy p = loadPolicyText(text, "m.yaml", d);
      // Deliberately also check broken loads: the checker must tolerate holes.
      checkPolicy(p, d);
    }) << text;
    expectPositionsInside(d, "m.yaml", text);
    rejected += d.hasErrors() ? 1 : 0;
  }
  // Most mutations break something; a few are harmless (e.g. in a comment).
  EXPECT_GT(rejected, 1500);
}

TEST(MutationRobustnessTest, GatewayConfigsNeverCrashTheLoaderOrChecker) {
  Diagnostics pd;
  const Policy policy = loadPolicyFile(kFixtures + "clean.yaml", pd);
  ASSERT_FALSE(pd.hasErrors());
  const std::string seed = readFile(kFixtures + "gateway.yaml");
  std::mt19937 rng(7);
  for (int i = 0; i < 1500; ++i) {
    const std::string text = mutate(seed, rng);
    Diagnostics d;
    EXPECT_NO_THROW({
      const GatewayConfig c = loadGatewayConfigText(text, "g.yaml", d);
      checkGatewayConfig(c, policy, d);
    }) << text;
    expectPositionsInside(d, "g.yaml", text);
  }
}

}  // namespace
}  // namespace isogate::policy
