// PolicyService with a fake compiler and a recording gateway hook: rejected
// policies change nothing, commit-confirmed rolls back by itself, history is
// kept (10) and survives a restart, and the reload hook refuses stale pidfiles.
#include "mgmt/policy_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mgmt/audit_trail.h"
#include "mgmt/gateway_reload.h"
#include "tests/mgmt/service_fixture.h"

namespace isogate::mgmt {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PolicyServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::freshTestDir("policy-svc");
    policy_ = (dir_ / "policy.yaml").string();
    write("name: one\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& text) { std::ofstream(policy_, std::ios::trunc) << text; }

  PolicyService make() {
    const PolicyServiceOptions o = testing::serviceOptionsIn(dir_);  // policy_ is its policyPath
    auto checker = [](const std::string& path) {
      PolicyCheck c;
      std::string text = slurp(path);
      c.ok = text.find("bad") == std::string::npos;
      c.digest = "sha256:" + sha256Hex(text);
      c.name = text.substr(6, text.find('\n') - 6);
      if (!c.ok) c.diagnostics = {path + ":1:1: error: bad policy"};
      return c;
    };
    auto hook = [this](std::string& err) {
      ++reloads_;
      if (failReload_) err = "gateway down";
      return !failReload_;
    };
    return PolicyService(o, checker, hook);
  }

  fs::path dir_;
  std::string policy_;
  int reloads_ = 0;
  bool failReload_ = false;
  system_clock::time_point t0_{seconds(1795687200)};
};

TEST_F(PolicyServiceTest, BaselineThenApply) {
  auto svc = make();
  std::string err;
  ASSERT_TRUE(svc.init(err)) << err;
  ASSERT_TRUE(svc.current());
  EXPECT_EQ(svc.current()->name, "one");
  EXPECT_EQ(svc.current()->by, "baseline");
  write("name: two\n");
  auto out = svc.apply("alice", std::nullopt, t0_);
  EXPECT_TRUE(out.ok) << out.error;
  EXPECT_EQ(out.name, "two");
  EXPECT_EQ(reloads_, 1);
  EXPECT_EQ(svc.history().size(), 2u);
  EXPECT_EQ(svc.current()->by, "alice");
  EXPECT_EQ(out.previousDigest, svc.history()[0].digest);
}

TEST_F(PolicyServiceTest, RejectedPolicyChangesNothing) {
  auto svc = make();
  std::string err;
  ASSERT_TRUE(svc.init(err));
  auto before = svc.current()->digest;
  write("name: bad\n");
  auto out = svc.apply("alice", seconds(60), t0_);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "policy " + policy_ + " rejected; the running policy stays in force");
  ASSERT_EQ(out.diagnostics.size(), 1u);
  EXPECT_EQ(reloads_, 0);
  EXPECT_EQ(svc.current()->digest, before);
  EXPECT_FALSE(svc.pendingDeadline());
}

TEST_F(PolicyServiceTest, UnconfirmedReloadRollsBackByItself) {
  auto svc = make();
  std::string err;
  ASSERT_TRUE(svc.init(err));
  std::string oneDigest = svc.current()->digest;
  write("name: two\n");
  auto out = svc.apply("alice", seconds(120), t0_);
  ASSERT_TRUE(out.ok) << out.error;
  ASSERT_TRUE(out.confirmDeadline);
  EXPECT_EQ(*out.confirmDeadline, t0_ + seconds(120));
  EXPECT_FALSE(svc.tick(t0_ + seconds(119)));
  // A second reload while one awaits confirmation is refused.
  EXPECT_EQ(svc.apply("bob", std::nullopt, t0_ + seconds(1)).error,
            "a reload is awaiting confirmation; confirm or roll back first");
  auto rb = svc.tick(t0_ + seconds(120));
  ASSERT_TRUE(rb);
  EXPECT_TRUE(rb->ok) << rb->error;
  EXPECT_EQ(rb->digest, oneDigest);
  EXPECT_EQ(slurp(policy_), "name: one\n");
  EXPECT_EQ(reloads_, 2);
  EXPECT_FALSE(svc.pendingDeadline());
  EXPECT_FALSE(svc.tick(t0_ + seconds(500)));
  // The text taken out of force is kept.
  EXPECT_EQ(slurp((dir_ / "state" / "rolled-back" / "00000002.yaml").string()), "name: two\n");
}

TEST_F(PolicyServiceTest, ConfirmKeepsTheNewPolicy) {
  auto svc = make();
  std::string err;
  ASSERT_TRUE(svc.init(err));
  write("name: two\n");
  ASSERT_TRUE(svc.apply("alice", seconds(120), t0_).ok);
  EXPECT_TRUE(svc.confirm("alice", t0_ + seconds(10)).ok);
  EXPECT_FALSE(svc.tick(t0_ + seconds(1000)));
  EXPECT_EQ(slurp(policy_), "name: two\n");
  EXPECT_EQ(svc.confirm("alice", t0_).error,
            "nothing to confirm: no reload is awaiting confirmation");
}

TEST_F(PolicyServiceTest, PendingConfirmationSurvivesRestart) {
  {
    auto svc = make();
    std::string err;
    ASSERT_TRUE(svc.init(err));
    write("name: two\n");
    ASSERT_TRUE(svc.apply("alice", seconds(120), t0_).ok);
  }
  auto svc = make();
  std::string err;
  ASSERT_TRUE(svc.init(err));
  ASSERT_TRUE(svc.pendingDeadline());
  EXPECT_EQ(svc.history().size(), 2u);
  auto rb = svc.tick(t0_ + seconds(121));
  ASSERT_TRUE(rb);
  EXPECT_TRUE(rb->ok);
  EXPECT_EQ(slurp(policy_), "name: one\n");
}

TEST_F(PolicyServiceTest, ManualRollbackWalksBackAndKeepsTen) {
  auto svc = make();
  std::string err;
  ASSERT_TRUE(svc.init(err));
  for (int i = 2; i <= 14; ++i) {
    write("name: p" + std::to_string(i) + "\n");
    ASSERT_TRUE(svc.apply("alice", std::nullopt, t0_).ok);
  }
  EXPECT_EQ(svc.history().size(), 10u);
  EXPECT_EQ(svc.history().front().name, "p5");
  auto rb = svc.rollback("alice", t0_);
  ASSERT_TRUE(rb.ok) << rb.error;
  EXPECT_EQ(rb.name, "p13");
  EXPECT_EQ(slurp(policy_), "name: p13\n");
  rb = svc.rollback("alice", t0_);
  EXPECT_EQ(rb.name, "p12");
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(svc.rollback("alice", t0_).ok);
  EXPECT_EQ(svc.current()->name, "p5");
  EXPECT_EQ(svc.rollback("alice", t0_).error, "no previous policy to roll back to");
}

TEST_F(PolicyServiceTest, ReapplyingTheSamePolicyArmsNoRollback) {
  auto svc = make();
  std::string err;
  ASSERT_TRUE(svc.init(err));
  auto out = svc.apply("alice", seconds(60), t0_);
  EXPECT_TRUE(out.ok);
  EXPECT_TRUE(out.unchanged);
  EXPECT_FALSE(out.confirmDeadline);
  EXPECT_EQ(svc.history().size(), 1u);
}

TEST_F(PolicyServiceTest, GatewayUnreachableIsAnError) {
  auto svc = make();
  std::string err;
  ASSERT_TRUE(svc.init(err));
  failReload_ = true;
  write("name: two\n");
  auto out = svc.apply("alice", std::nullopt, t0_);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error,
            "policy accepted and saved, but the gateway could not be told to reload: gateway down");
}

TEST(GatewayReload, RefusesMissingAndStalePidfiles) {
  std::string err;
  EXPECT_FALSE(signalGatewayReload("/nonexistent/isogate-gw.pid", err));
  EXPECT_EQ(err.rfind("cannot read gateway pidfile /nonexistent/isogate-gw.pid", 0), 0u) << err;
  std::string pf = ::testing::TempDir() + "/stale-" + std::to_string(::getpid()) + ".pid";
  std::ofstream(pf) << ::getpid() << "\n";  // this test process: not isogate-gw
  EXPECT_FALSE(signalGatewayReload(pf, err));
  EXPECT_NE(err.find("not isogate-gw (stale pidfile)"), std::string::npos) << err;
  std::ofstream(pf, std::ios::trunc) << "abc\n";
  EXPECT_FALSE(signalGatewayReload(pf, err));
  EXPECT_EQ(err, "gateway pidfile " + pf + " does not hold a pid");
  ::unlink(pf.c_str());
}

}  // namespace
}  // namespace isogate::mgmt
