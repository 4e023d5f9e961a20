// The hash-chained audit trail: any edited byte, deleted, reordered or cut-off
// record is found and named by line.
#include "mgmt/audit_trail.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace isogate::mgmt {
namespace {

class AuditTrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/audit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".log";
    ::unlink(path_.c_str());
    ::unlink((path_ + ".head").c_str());
    AuditTrail t(path_);
    std::string err;
    ASSERT_TRUE(t.open(err)) << err;
    for (int i = 1; i <= 5; ++i) {
      AuditRecord r;
      r.actor = {1000 + i, "user" + std::to_string(i), "officer"};
      r.action = i % 2 ? "reload" : "confirm";
      r.result = "ok";
      r.details = {{"n", i}};
      r.policy = "sha256:" + std::string(64, 'b');
      ASSERT_TRUE(t.append(r, err)) << err;
      EXPECT_EQ(r.seq, static_cast<uint64_t>(i));
    }
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::unlink((path_ + ".head").c_str());
  }
  std::vector<std::string> lines() {
    std::ifstream in(path_);
    std::vector<std::string> v;
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
  }
  void write(const std::vector<std::string>& v) {
    std::ofstream out(path_, std::ios::trunc);
    for (const auto& l : v) out << l << "\n";
  }
  std::string path_;
};

TEST_F(AuditTrailTest, IntactChainVerifies) {
  AuditTrail t(path_);
  auto r = t.verify();
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.records, 5u);
  auto v = lines();
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0].rfind("{\"seq\":1,\"time\":\"", 0), 0u);
  EXPECT_NE(v[0].find("\"prev\":\"" + std::string(64, '0') + "\""), std::string::npos);
  auto tail = t.tail(2);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0]["seq"], 4);
  EXPECT_EQ(tail[1]["actor"]["user"], "user5");
}

TEST_F(AuditTrailTest, ReopenContinuesTheChain) {
  AuditTrail t(path_);
  std::string err;
  ASSERT_TRUE(t.open(err));
  AuditRecord r;
  r.action = "rollback";
  r.result = "ok";
  ASSERT_TRUE(t.append(r, err));
  EXPECT_EQ(r.seq, 6u);
  EXPECT_TRUE(t.verify().ok);
}

TEST_F(AuditTrailTest, OneEditedByteIsNamed) {
  auto v = lines();
  auto at = v[2].find("user3");
  v[2][at + 4] = '9';  // user3 -> user9
  write(v);
  auto r = AuditTrail(path_).verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.badLine, 3u);
  EXPECT_EQ(r.error, "line 3 (record 3): hash mismatch (record edited)");
}

TEST_F(AuditTrailTest, EditedHashIsNamed) {
  auto v = lines();
  char& c = v[1][v[1].size() - 3];
  c = c == 'a' ? 'b' : 'a';
  write(v);
  auto r = AuditTrail(path_).verify();
  EXPECT_EQ(r.badLine, 2u);
  EXPECT_EQ(r.error, "line 2 (record 2): hash mismatch (record edited)");
}

TEST_F(AuditTrailTest, DeletedLineIsNamed) {
  auto v = lines();
  v.erase(v.begin() + 1);
  write(v);
  auto r = AuditTrail(path_).verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.badLine, 2u);
  EXPECT_EQ(
      r.error,
      "line 2 (record 3): previous-hash mismatch (a record before it was deleted, inserted or "
      "moved)");
}

TEST_F(AuditTrailTest, ReorderedLinesAreNamed) {
  auto v = lines();
  std::swap(v[3], v[4]);
  write(v);
  auto r = AuditTrail(path_).verify();
  EXPECT_EQ(r.badLine, 4u);
  EXPECT_EQ(
      r.error,
      "line 4 (record 5): previous-hash mismatch (a record before it was deleted, inserted or "
      "moved)");
}

// The edited byte is the record's own number: it is named by the number the chain expects.
TEST_F(AuditTrailTest, EditedSequenceNumberIsNamedByPosition) {
  auto v = lines();
  ASSERT_EQ(v[2].rfind("{\"seq\":3,", 0), 0u);
  v[2][7] = '8';
  write(v);
  auto r = AuditTrail(path_).verify();
  EXPECT_EQ(r.badLine, 3u);
  EXPECT_EQ(r.error, "line 3 (record 3): hash mismatch (record edited)");
}

TEST_F(AuditTrailTest, CutOffTailIsFound) {
  auto v = lines();
  v.pop_back();
  write(v);
  auto r = AuditTrail(path_).verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.badLine, 5u);
  EXPECT_EQ(
      r.error,
      "line 5: trail ends at record 4 but record 5 was written (records removed from the end)");
}

TEST_F(AuditTrailTest, GarbageLineIsNamed) {
  auto v = lines();
  v.insert(v.begin() + 2, "not a record");
  write(v);
  auto r = AuditTrail(path_).verify();
  EXPECT_EQ(r.error, "line 3 (record 3): not an audit record");
}

}  // namespace
}  // namespace isogate::mgmt
