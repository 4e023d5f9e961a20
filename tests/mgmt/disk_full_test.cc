// A full disk under the audit trail and the JSON-lines log: a write that stops half way
// leaves nothing of its line behind, the chain and the log stay readable, the failure is
// counted and (for the JSON log) reported once per episode. The disk is "full" through
// RLIMIT_FSIZE, which makes write() stop at a chosen size as ENOSPC would.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mgmt/audit_trail.h"
#include "mgmt/json_lines.h"

namespace isogate::mgmt {
namespace {

off_t sizeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// Files of this process may not grow beyond `limit` bytes while it lives.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(off_t limit) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_ = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the signal
    rlimit r = saved_;
    r.rlim_cur = static_cast<rlim_t>(limit);
    ::setrlimit(RLIMIT_FSIZE, &r);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, old_);
  }

 private:
  rlimit saved_{};
  void (*old_)(int) = nullptr;
};

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/diskfull-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    TearDown();
  }
  void TearDown() override {
    for (const char* ext : {"", ".head", ".head.tmp"}) ::unlink((path_ + ext).c_str());
  }
  std::string path_;
};

TEST_F(DiskFullTest, JsonLineCutHalfWayIsRemovedAndTheEpisodeReportedOnce) {
  JsonLinesWriter w(path_);
  std::string err;
  ASSERT_TRUE(w.open(err)) << err;
  const std::string line = "{\"n\":\"" + std::string(200, 'x') + "\"}";
  ASSERT_TRUE(w.write(line));
  uint64_t lost = 0;
  EXPECT_EQ(w.takeChange(lost, err), JsonLinesWriter::Change::None);
  off_t before = sizeOf(path_);
  {
    FileSizeLimit full(before + 50);  // room for a quarter of the next line
    EXPECT_FALSE(w.write(line));
    EXPECT_EQ(sizeOf(path_), before) << "the partial line must be cut off";
    EXPECT_EQ(w.takeChange(lost, err), JsonLinesWriter::Change::Failing);
    EXPECT_EQ(err, "File too large");
    EXPECT_FALSE(w.write(line));
    EXPECT_FALSE(w.write(line));
    EXPECT_EQ(w.takeChange(lost, err), JsonLinesWriter::Change::None) << "one report per episode";
    EXPECT_EQ(sizeOf(path_), before);
  }
  EXPECT_EQ(w.failed(), 3u);
  ASSERT_TRUE(w.write(line));
  EXPECT_EQ(w.takeChange(lost, err), JsonLinesWriter::Change::Recovered);
  EXPECT_EQ(lost, 3u);
  EXPECT_EQ(err, "File too large");
  EXPECT_EQ(w.takeChange(lost, err), JsonLinesWriter::Change::None);
  std::ifstream in(path_);
  int n = 0;
  for (std::string l; std::getline(in, l); ++n)
    EXPECT_FALSE(nlohmann::json::parse(l, nullptr, false).is_discarded()) << l;
  EXPECT_EQ(n, 2);
  EXPECT_EQ(w.written(), 2u);
}

AuditRecord record(int i) {
  AuditRecord r;
  r.actor = {1000, "officer" + std::to_string(i), "officer"};
  r.action = "reload";
  r.result = "ok";
  r.details = {{"n", i}};
  r.policy = "sha256:" + std::string(64, 'c');
  return r;
}

TEST_F(DiskFullTest, AuditRecordThatDoesNotFitLeavesNothingAndTheChainContinues) {
  AuditTrail t(path_);
  std::string err;
  ASSERT_TRUE(t.open(err)) << err;
  for (int i = 1; i <= 2; ++i) {
    auto r = record(i);
    ASSERT_TRUE(t.append(r, err)) << err;
  }
  off_t before = sizeOf(path_);
  {
    FileSizeLimit full(before + 100);  // the record is ~350 bytes
    auto r = record(3);
    EXPECT_FALSE(t.append(r, err));
    EXPECT_EQ(err, "cannot write audit trail " + path_ + ": File too large (record 3 not stored)");
    EXPECT_EQ(sizeOf(path_), before);
    EXPECT_TRUE(t.verify().ok) << t.verify().error;
  }
  EXPECT_EQ(t.failed(), 1u);
  auto r = record(4);
  ASSERT_TRUE(t.append(r, err)) << err;
  EXPECT_EQ(r.seq, 3u) << "the record not stored has no number";
  auto v = t.verify();
  EXPECT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.records, 3u);
  // A fresh reader (a restarted daemon) continues the same chain.
  AuditTrail again(path_);
  ASSERT_TRUE(again.open(err)) << err;
  auto r5 = record(5);
  ASSERT_TRUE(again.append(r5, err)) << err;
  EXPECT_EQ(r5.seq, 4u);
  EXPECT_TRUE(again.verify().ok) << again.verify().error;
}

}  // namespace
}  // namespace isogate::mgmt
