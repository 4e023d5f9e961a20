// The kernel conntrack table watch: /proc/net/stat/nf_conntrack parsing, the report
// decision, the reporter on a file the test writes, and (root) the real file of a fresh
// network namespace.
#include "gateway/conntrack_stat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gateway/conntrack_drop_reporter.h"
#include "gateway/event_output.h"
#include "tests/fresh_test_dir.h"
#include "tests/policy/netns_helpers.h"

namespace isogate::gateway {
namespace {

namespace fs = std::filesystem;

// The header line as this machine's kernel prints it (double spaces included), two CPUs.
const std::string kHeader =
    "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop "
    "icmp_error  expect_new expect_create expect_delete search_restart\n";

std::string statText(uint32_t drop0, uint32_t drop1, uint32_t early0, uint32_t early1) {
  char row[2][256];
  std::snprintf(row[0], sizeof row[0],
                "0000002a  00000000 00000003 00000000 00000007 00000000 00000000 00000000 00000000 00000000 "
                "%08x %08x 00000000  00000000 00000000 00000000 0000000b\n",
                drop0, early0);
  std::snprintf(row[1], sizeof row[1],
                "0000002a  00000001 00000000 00000000 00000002 00000000 00000000 00000000 00000000 00000000 "
                "%08x %08x 00000000  00000000 00000000 00000000 00000001\n",
                drop1, early1);
  return kHeader + row[0] + row[1];
}

// Parses `text` into *totals and picks the drop counters from them; any error fails the test.
ConntrackDrops dropsOf(const std::string& text, ConntrackStatTotals* totals) {
  std::string error;
  ConntrackDrops d;
  EXPECT_TRUE(parseConntrackStat(text, *totals, error)) << error;
  EXPECT_TRUE(conntrackDrops(*totals, d, error)) << error;
  return d;
}

TEST(ConntrackStat, SumsEveryColumnOverTheCpusByName) {
  ConntrackStatTotals t;
  const ConntrackDrops d = dropsOf(statText(0x1a, 0x05, 0x10, 0xff), &t);
  EXPECT_EQ(t.size(), 17u);
  EXPECT_EQ(t.at("drop"), 0x1fu);
  EXPECT_EQ(t.at("early_drop"), 0x10fu);
  EXPECT_EQ(t.at("invalid"), 9u);
  EXPECT_EQ(t.at("search_restart"), 12u);
  EXPECT_EQ(t.at("clashres"), 1u);
  EXPECT_EQ(d.drop, 0x1fu);
  EXPECT_EQ(d.earlyDrop, 0x10fu);
}

TEST(ConntrackStat, FindsColumnsByTheHeaderNotByPosition) {
  ConntrackStatTotals t;
  const ConntrackDrops d = dropsOf(
      "early_drop drop newcolumn\n00000002 00000010 00000000\n00000001 00000020 ffffffff\n", &t);
  EXPECT_EQ(d.drop, 0x30u);
  EXPECT_EQ(d.earlyDrop, 3u);
}

TEST(ConntrackStat, MissingColumnIsAnError) {
  ConntrackStatTotals t;
  std::string error;
  ASSERT_TRUE(parseConntrackStat("entries found early_drop\n00000001 00000002 00000003\n", t, error)) << error;
  ConntrackDrops d;
  EXPECT_FALSE(conntrackDrops(t, d, error));
  EXPECT_EQ(error, "no `drop` column in the header");
  ASSERT_TRUE(parseConntrackStat("entries drop\n00000001 00000002\n", t, error)) << error;
  EXPECT_FALSE(conntrackDrops(t, d, error));
  EXPECT_EQ(error, "no `early_drop` column in the header");
}

void expectError(const std::string& text, const std::string& expected) {
  ConntrackStatTotals t{{"untouched", 1}};
  std::string error;
  EXPECT_FALSE(parseConntrackStat(text, t, error)) << text;
  EXPECT_EQ(error, expected);
  EXPECT_EQ(t, (ConntrackStatTotals{{"untouched", 1}}));
}

TEST(ConntrackStat, GarbageIsAPreciseError) {
  expectError("", "empty text: no header line");
  expectError("\n00000001\n", "line 1: no header line (expected column names such as `drop`)");
  expectError(kHeader, "no CPU rows after the header");
  expectError("entries drop early_drop\n00000001 00000002 00000003\n00000001 00000002\n",
              "line 3: 2 values, the header names 3 columns");
  expectError("entries drop early_drop\n00000001 0000zz02 00000003\n",
              "line 2: column 2 `drop`: `0000zz02` is not a hexadecimal counter");
  expectError("entries drop early_drop\n00000001 00000002 -0000003\n",
              "line 2: column 3 `early_drop`: `-0000003` is not a hexadecimal counter");
  expectError("drop early_drop\n00000000000000001 00000000\n",
              "line 2: column 1 `drop`: `00000000000000001` is not a hexadecimal counter");
  expectError("drop early_drop\nffffffffffffffff 00000000\n0000000000000001 00000000\n",
              "line 3: column 1 `drop`: the sum over the CPUs overflows 64 bits");
  expectError("drop early_drop drop\n00000001 00000002 00000003\n", "line 1: column `drop` named twice in the header");
  expectError("<html>not found</html>\n", "no CPU rows after the header");
  expectError("<html>not found</html>\nsorry page\n",
              "line 2: column 1 `<html>not`: `sorry` is not a hexadecimal counter");
  expectError("<html>not found</html>\nsorry\n", "line 2: 1 values, the header names 2 columns");
}

TEST(ConntrackStat, BlankLinesAndNoFinalNewlineParse) {
  ConntrackStatTotals t;
  std::string error;
  ASSERT_TRUE(parseConntrackStat("drop early_drop\n\n00000001 00000002\r\n00000003 00000004", t, error)) << error;
  EXPECT_EQ(t.at("drop"), 4u);
  EXPECT_EQ(t.at("early_drop"), 6u);
}

using Action = ConntrackDropDecision::Action;

TEST(ConntrackDropDecision, FirstReadIsTheBaseline) {
  const auto d = decideConntrackDrops(std::nullopt, ConntrackDrops{500, 20});
  EXPECT_EQ(d.action, Action::Baseline);
  EXPECT_EQ(d.dropped, 0u);
}

TEST(ConntrackDropDecision, GrowthOfDropIsReportedWithBothDeltas) {
  auto d = decideConntrackDrops(ConntrackDrops{500, 20}, ConntrackDrops{512, 27});
  EXPECT_EQ(d.action, Action::Report);
  EXPECT_EQ(d.dropped, 12u);
  EXPECT_EQ(d.earlyDropped, 7u);
  d = decideConntrackDrops(ConntrackDrops{500, 20}, ConntrackDrops{501, 20});
  EXPECT_EQ(d.action, Action::Report);
  EXPECT_EQ(d.dropped, 1u);
  EXPECT_EQ(d.earlyDropped, 0u);
}

TEST(ConntrackDropDecision, NoGrowthOfDropIsNoReport) {
  EXPECT_EQ(decideConntrackDrops(ConntrackDrops{500, 20}, ConntrackDrops{500, 20}).action, Action::Nothing);
  // Evictions alone: the table made room, no packet was dropped.
  EXPECT_EQ(decideConntrackDrops(ConntrackDrops{500, 20}, ConntrackDrops{500, 90}).action, Action::Nothing);
}

TEST(ConntrackDropDecision, ACounterThatWentDownIsANewBaseline) {
  EXPECT_EQ(decideConntrackDrops(ConntrackDrops{500, 20}, ConntrackDrops{3, 20}).action, Action::Baseline);
  EXPECT_EQ(decideConntrackDrops(ConntrackDrops{500, 20}, ConntrackDrops{600, 0}).action, Action::Baseline);
}

class ConntrackDropReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = isogate::testing::freshTestDir("isogate-ctstat-test");
    events_ = std::make_unique<EventOutput>(EventOutputOptions{(dir_ / "events.log").string(), "", "gw-test"});
    std::string err;
    ASSERT_TRUE(events_->open(err)) << err;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void writeStat(const std::string& text) { std::ofstream(dir_ / "nf_conntrack", std::ios::trunc) << text; }
  std::vector<std::string> lines() const {
    std::ifstream in(dir_ / "events.log");
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }

  fs::path dir_;
  std::unique_ptr<EventOutput> events_;
};

TEST_F(ConntrackDropReporterTest, ReportsGrowthOnceASecondAfterTheBaseline) {
  ConntrackDropReporter r((dir_ / "nf_conntrack").string());
  const auto t0 = std::chrono::steady_clock::now();
  writeStat(statText(100, 50, 7, 0));
  r.tick(*events_, t0);
  EXPECT_TRUE(lines().empty());  // the first read is the baseline, whatever it holds
  writeStat(statText(110, 52, 9, 0));
  r.tick(*events_, t0 + std::chrono::milliseconds(500));
  EXPECT_TRUE(lines().empty());  // not read again within the second
  r.tick(*events_, t0 + std::chrono::seconds(1));
  auto l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_NE(l[0].find("type=\"fault\""), std::string::npos) << l[0];
  EXPECT_NE(l[0].find("component=\"conntrack\""), std::string::npos) << l[0];
  EXPECT_NE(l[0].find("reason=\"table-full\""), std::string::npos) << l[0];
  EXPECT_NE(l[0].find("dropped=\"12\""), std::string::npos) << l[0];
  EXPECT_NE(l[0].find("early_drop=\"2\""), std::string::npos) << l[0];
  r.tick(*events_, t0 + std::chrono::seconds(2));  // no growth: nothing
  EXPECT_EQ(lines().size(), 1u);
  writeStat(statText(113, 52, 9, 0));
  r.tick(*events_, t0 + std::chrono::seconds(3));
  l = lines();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_NE(l[1].find("dropped=\"3\""), std::string::npos) << l[1];
  EXPECT_EQ(l[1].find("early_drop="), std::string::npos) << l[1];
}

TEST_F(ConntrackDropReporterTest, UnreadableOrMalformedFileIsNoReport) {
  ConntrackDropReporter r((dir_ / "nf_conntrack").string());
  const auto t0 = std::chrono::steady_clock::now();
  r.tick(*events_, t0);  // missing: silent
  writeStat(statText(100, 0, 0, 0));
  r.tick(*events_, t0 + std::chrono::seconds(1));  // baseline
  writeStat("drop early_drop\nnonsense\n");
  r.tick(*events_, t0 + std::chrono::seconds(2));
  writeStat(statText(150, 0, 0, 0));
  r.tick(*events_, t0 + std::chrono::seconds(3));  // the baseline survived the bad read
  const auto l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_NE(l[0].find("dropped=\"50\""), std::string::npos) << l[0];
}

TEST(ConntrackStatKernel, TheRealFileOfAFreshNamespaceParses) {
  ISOGATE_SKIP_UNLESS_ROOT("reading the conntrack statistics of a fresh network namespace needs root");
  isogate::testing::runCommand("modprobe nf_conntrack");  // already loaded on most hosts
  isogate::testing::ScopedNetns ns("ctstat");
  ASSERT_TRUE(ns.ok());
  // `cat` runs inside the namespace, so /proc/net is that namespace's.
  const auto r = ns.exec("cat /proc/net/stat/nf_conntrack");
  ASSERT_EQ(r.status, 0) << r.output;
  ConntrackStatTotals t;
  std::string error;
  ASSERT_TRUE(parseConntrackStat(r.output, t, error)) << error << "\n" << r.output;
  ConntrackDrops d;
  ASSERT_TRUE(conntrackDrops(t, d, error)) << error;
  EXPECT_EQ(d.drop, 0u);  // a namespace nobody sent a packet through dropped nothing
  EXPECT_EQ(d.earlyDrop, 0u);
}

}  // namespace
}  // namespace isogate::gateway
