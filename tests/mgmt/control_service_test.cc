// The control service and socket: roles allow and refuse (refusals audited),
// bad requests change nothing and are audited, commit-confirmed through the
// protocol, and a real unix socket round trip with SO_PEERCRED identity.
#include "mgmt/control_service.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mgmt/control_server.h"
#include "tests/mgmt/service_fixture.h"

namespace isogate::mgmt {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;
using ojson = nlohmann::ordered_json;

class ControlTest : public testing::ControlServiceFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(startControl(
        "ctl",
        [](const std::string& path) {
          std::ifstream in(path);
          std::stringstream ss;
          ss << in.rdbuf();
          PolicyCheck c;
          c.ok = ss.str().find("bad") == std::string::npos;
          c.digest = "sha256:" + sha256Hex(ss.str());
          c.name = ss.str().substr(6, ss.str().find('\n') - 6);
          if (!c.ok) c.diagnostics = {"policy.yaml:1:7: error: bad"};
          return c;
        },
        [this](std::string&) {
          ++reloads_;
          return true;
        }));
  }

  static PeerIdentity as(const std::string& user, std::vector<std::string> groups) {
    PeerIdentity p;
    p.uid = 1234;
    p.user = user;
    p.groups = std::move(groups);
    return p;
  }
  ojson call(const PeerIdentity& who, const std::string& line) {
    return ojson::parse(service_->handle(who, line, now_));
  }
  ojson lastAudit() { return audit_->tail(1).at(0); }

  int reloads_ = 0;
  system_clock::time_point now_{seconds(1795687200)};
};

TEST_F(ControlTest, AuditorReadsButCannotChangePolicy) {
  auto auditor = as("carol", {"carol", "isogate-audit"});
  EXPECT_EQ(call(auditor, R"({"cmd":"status"})")["ok"], true);
  EXPECT_EQ(call(auditor, R"({"cmd":"stats"})")["ok"], true);
  EXPECT_EQ(call(auditor, R"({"cmd":"violations","since":"1h"})")["ok"], true);
  EXPECT_EQ(call(auditor, R"({"cmd":"audit","op":"verify"})")["ok"], true);
  for (const char* req : {R"({"cmd":"reload"})", R"({"cmd":"confirm"})", R"({"cmd":"rollback"})",
                          R"({"cmd":"flows"})"}) {
    ojson r = call(auditor, req);
    EXPECT_EQ(r["ok"], false) << req;
    EXPECT_EQ(r["error"]["code"], "forbidden") << req;
    EXPECT_EQ(lastAudit()["result"], "refused");
    EXPECT_EQ(lastAudit()["actor"]["user"], "carol");
    EXPECT_EQ(lastAudit()["actor"]["role"], "auditor");
  }
  EXPECT_EQ(call(auditor, R"({"cmd":"reload"})")["error"]["message"],
            "'reload' is not allowed for carol (role auditor)");
  EXPECT_EQ(reloads_, 0);
}

TEST_F(ControlTest, UnknownCallerIsRefusedEverything) {
  auto nobody = as("mallory", {"users"});
  ojson r = call(nobody, R"({"cmd":"status"})");
  EXPECT_EQ(r["error"]["code"], "forbidden");
  EXPECT_EQ(r["error"]["message"], "'status' is not allowed for mallory (role none)");
  EXPECT_EQ(lastAudit()["action"], "status");
  EXPECT_EQ(lastAudit()["result"], "refused");
}

TEST_F(ControlTest, BadRequestIsAuditedAndChangesNothing) {
  auto officer = as("alice", {"isogate-officer"});
  ojson r = call(officer, R"({"cmd":"reload","confirm":"soon"})");
  EXPECT_EQ(r["error"]["code"], "bad-request");
  EXPECT_EQ(r["error"]["message"], "key 'confirm': expected a non-negative integer");
  EXPECT_EQ(lastAudit()["action"], "bad-request");
  EXPECT_EQ(reloads_, 0);
  EXPECT_FALSE(policy_->pendingDeadline());
}

TEST_F(ControlTest, OfficerReloadWithConfirmRollsBackUnlessConfirmed) {
  auto officer = as("alice", {"alice", "isogate-officer"});
  std::ofstream(dir_ / "policy.yaml", std::ios::trunc) << "name: two\n";
  ojson r = call(officer, R"({"cmd":"reload","confirm":120})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["name"], "two");
  EXPECT_EQ(r["result"]["confirm_deadline"], "2026-11-26T10:02:00.000Z");
  EXPECT_EQ(lastAudit()["action"], "reload");
  EXPECT_EQ(lastAudit()["details"]["confirm"], 120);
  service_->tick(now_ + seconds(119));
  EXPECT_TRUE(policy_->pendingDeadline());
  service_->tick(now_ + seconds(121));
  EXPECT_FALSE(policy_->pendingDeadline());
  EXPECT_EQ(policy_->current()->name, "one");
  ojson a = lastAudit();
  EXPECT_EQ(a["action"], "auto-rollback");
  EXPECT_EQ(a["actor"]["user"], "isogate-mgmtd");
  EXPECT_EQ(a["result"], "ok");
  EXPECT_EQ(reloads_, 2);
  EXPECT_TRUE(audit_->verify().ok);
}

TEST_F(ControlTest, RejectedReloadReportsDiagnostics) {
  auto admin = as("root", {"root"});
  std::ofstream(dir_ / "policy.yaml", std::ios::trunc) << "name: bad\n";
  ojson r = call(admin, R"({"cmd":"reload"})");
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"]["code"], "failed");
  EXPECT_EQ(r["error"]["diagnostics"][0], "policy.yaml:1:7: error: bad");
  EXPECT_EQ(lastAudit()["result"], "error");
  EXPECT_EQ(policy_->current()->name, "one");
}

TEST_F(ControlTest, AuditVerifyFailsAfterTampering) {
  auto admin = as("root", {"root"});
  call(admin, R"({"cmd":"status"})");
  call(admin, R"({"cmd":"stats"})");
  std::string path = (dir_ / "audit.log").string();
  std::stringstream ss;
  ss << std::ifstream(path).rdbuf();
  std::string text = ss.str();
  text[text.find("stats")] = 'S';
  std::ofstream(path, std::ios::trunc) << text;
  ojson r = call(admin, R"({"cmd":"audit","op":"verify"})");
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"]["bad_line"], 2);
  EXPECT_EQ(
      r["error"]["message"],
      "audit trail " + path + " is damaged: line 2 (record 2): hash mismatch (record edited)");
}

// The real socket: identity from SO_PEERCRED (this process's user), line protocol.
TEST_F(ControlTest, SocketRoundTrip) {
  PeerIdentity self = identityOf(::getuid(), ::getgid());
  std::vector<PeerIdentity> seen;
  ControlServer server([&](const PeerIdentity& who, std::string_view line) {
    seen.push_back(who);
    return service_->handle(who, line, now_);
  });
  std::string path = (dir_ / "control.sock").string();
  std::string err;
  ASSERT_TRUE(server.open(path, 0660, -1, err)) << err;
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::group_write);
  int c = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, path.c_str());
  ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  std::string req = "{\"cmd\":\"status\"}\n{\"cmd\":\"nope\"}\n";
  ASSERT_EQ(::send(c, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  std::string got;
  for (int i = 0; i < 200 && std::count(got.begin(), got.end(), '\n') < 2; ++i) {
    std::vector<pollfd> fds;
    server.addPollFds(fds);
    ::poll(fds.data(), fds.size(), 50);
    server.process(fds);
    char buf[8192];
    ssize_t n = ::recv(c, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
  }
  ASSERT_EQ(std::count(got.begin(), got.end(), '\n'), 2) << got;
  auto first = ojson::parse(got.substr(0, got.find('\n')));
  auto second = ojson::parse(got.substr(got.find('\n') + 1));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].uid, static_cast<int64_t>(::getuid()));
  EXPECT_EQ(seen[0].user, self.user);
  if (self.user == "root") {
    EXPECT_EQ(first["ok"], true);
  }
  EXPECT_EQ(second["error"]["code"], "bad-request");
  // An oversize line gets an error and the connection is closed.
  std::string big(5000, 'x');
  ::send(c, big.data(), big.size(), 0);
  std::string tail;
  bool closed = false;
  for (int i = 0; i < 200 && !closed; ++i) {
    std::vector<pollfd> fds;
    server.addPollFds(fds);
    ::poll(fds.data(), fds.size(), 50);
    server.process(fds);
    char buf[8192];
    ssize_t n = ::recv(c, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) tail.append(buf, static_cast<size_t>(n));
    if (n == 0) closed = true;
  }
  EXPECT_TRUE(closed);
  EXPECT_NE(tail.find("request longer than 4096 bytes"), std::string::npos) << tail;
  EXPECT_EQ(server.clients(), 0u);
  ::close(c);
}

}  // namespace
}  // namespace isogate::mgmt
