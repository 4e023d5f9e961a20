#include "gateway/policy_loader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/fresh_test_dir.h"

namespace isogate::gateway {
namespace {

namespace fs = std::filesystem;

// Records what it was asked to apply; fails on request.
class RecordingBackend : public Backend {
 public:
  const char* name() const override { return "recording"; }
  bool start(std::string&) override { return true; }
  ApplyResult apply(const policy::CompiledPolicy& p, const std::vector<BackendInterface>& itfs) override {
    applied.push_back(p.digest);
    interfaces = itfs;
    if (failNext) return {false, false, "kernel said no"};
    return {true, false, ""};
  }
  std::vector<std::string> applied;
  std::vector<BackendInterface> interfaces;
  bool failNext = false;
};

class PolicyLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = isogate::testing::freshTestDir("isogate-loader-test");
    fs::copy_file(fs::path(ISOGATE_SOURCE_DIR) / "tests/e2e/fixtures/policy.yaml", dir_ / "policy.yaml");
    events_ = std::make_unique<EventOutput>(EventOutputOptions{(dir_ / "events.log").string(), "", "gw-test"});
    std::string err;
    ASSERT_TRUE(events_->open(err)) << err;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> lines() const {
    std::ifstream in(dir_ / "events.log");
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  void breakPolicy() {
    std::ofstream(dir_ / "policy.yaml") << "version: 1\nname: x\nzones: [\n";
  }
  std::string policyPath() const { return (dir_ / "policy.yaml").string(); }

  fs::path dir_;
  std::unique_ptr<EventOutput> events_;
  RecordingBackend backend_;
  std::vector<BackendInterface> itfs_{{"ext0", "extranet", false, -1}, {"por0", "portal", false, -1},
                                      {"mon0", "intranet", true, -1}};
};

TEST_F(PolicyLoaderTest, LoadsAppliesAndReports) {
  PolicyLoader loader(backend_, *events_, policyPath(), itfs_);
  ASSERT_TRUE(loader.load());
  ASSERT_EQ(backend_.applied.size(), 1u);
  ASSERT_TRUE(loader.current());
  EXPECT_EQ(backend_.applied[0], loader.current()->digest);
  ASSERT_EQ(backend_.interfaces.size(), 3u);
  EXPECT_EQ(backend_.interfaces[0].zoneId, loader.current()->findZone("extranet"));
  EXPECT_EQ(backend_.interfaces[2].zoneId, loader.current()->findZone("intranet"));
  auto l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_NE(l[0].find(" gw-test isogate - POLICY [isogate@32473 type=\"policy-loaded\""), std::string::npos) << l[0];
  EXPECT_NE(l[0].find("policy=\"" + loader.current()->digest + "\""), std::string::npos) << l[0];
  EXPECT_NE(l[0].find("policy_name=\"e2e-boundary\""), std::string::npos) << l[0];
}

TEST_F(PolicyLoaderTest, BrokenPolicyKeepsTheRunningOne) {
  PolicyLoader loader(backend_, *events_, policyPath(), itfs_);
  ASSERT_TRUE(loader.load());
  auto running = loader.current();
  breakPolicy();
  EXPECT_FALSE(loader.load());
  EXPECT_EQ(backend_.applied.size(), 1u);  // the backend never saw the broken one
  EXPECT_EQ(loader.current(), running);
  auto l = lines();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_NE(l[1].find("type=\"policy-rejected\""), std::string::npos) << l[1];
  EXPECT_NE(l[1].find("diagnostics=\"" + policyPath() + ":"), std::string::npos) << l[1];
  EXPECT_NE(l[1].find("policy=\"" + running->digest + "\""), std::string::npos) << l[1];
  EXPECT_NE(l[1].find("running policy " + running->digest + " stays"), std::string::npos) << l[1];
}

TEST_F(PolicyLoaderTest, RefusesToForwardBetweenPhysicallyIsolatedZones) {
  itfs_[2].monitor = false;  // the intranet segment as a forwarding interface
  PolicyLoader loader(backend_, *events_, policyPath(), itfs_);
  EXPECT_FALSE(loader.load());
  EXPECT_TRUE(backend_.applied.empty());
  EXPECT_FALSE(loader.current());
  auto l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_NE(l[0].find("interfaces 'ext0' and 'mon0' forward between physically isolated zones extranet and intranet"),
            std::string::npos)
      << l[0];
  EXPECT_NE(l[0].find("forward path stays closed"), std::string::npos) << l[0];
}

TEST_F(PolicyLoaderTest, UnknownZoneAndBackendFailureAreRejections) {
  itfs_[1].zone = "dmz";
  PolicyLoader bad(backend_, *events_, policyPath(), itfs_);
  EXPECT_FALSE(bad.load());
  EXPECT_NE(lines().back().find("interface 'por0': zone 'dmz' is not in the policy"), std::string::npos);
  itfs_[1].zone = "portal";
  PolicyLoader loader(backend_, *events_, policyPath(), itfs_);
  backend_.failNext = true;
  EXPECT_FALSE(loader.load());
  EXPECT_FALSE(loader.current());
  EXPECT_NE(lines().back().find("recording backend: kernel said no"), std::string::npos) << lines().back();
}

TEST_F(PolicyLoaderTest, ANewPolicyMustStillFitTheGatewayConfig) {
  policy::Diagnostics d;
  auto config = policy::loadGatewayConfigFile(std::string(ISOGATE_SOURCE_DIR) + "/tests/e2e/fixtures/gateway.yaml", d);
  ASSERT_FALSE(d.hasErrors());
  PolicyLoader loader(backend_, *events_, policyPath(), itfs_, &config);
  ASSERT_TRUE(loader.load()) << lines().back();
  // The extranet moves to other networks: ext0's address 10.20.0.1/16 is no longer in its zone.
  std::ifstream in(policyPath());
  std::stringstream text;
  text << in.rdbuf();
  std::string moved = text.str();
  for (size_t at; (at = moved.find("10.20.")) != std::string::npos;) moved.replace(at, 6, "10.30.");
  std::ofstream(policyPath()) << moved;
  EXPECT_FALSE(loader.load());
  EXPECT_EQ(backend_.applied.size(), 1u);
  EXPECT_NE(lines().back().find("type=\"policy-rejected\""), std::string::npos) << lines().back();
  EXPECT_NE(lines().back().find("gateway.yaml:"), std::string::npos) << lines().back();
}

}  // namespace
}  // namespace isogate::gateway
