// Control requests: strict parsing with precise errors, the role table, and
// role resolution from user and group names.
#include "mgmt/control_protocol.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace isogate::mgmt {
namespace {

using namespace std::chrono;

TEST(ControlProtocol, ParsesEveryCommand) {
  ControlRequest r;
  std::string err;
  ASSERT_TRUE(parseRequest(R"({"cmd":"status"})", r, err)) << err;
  EXPECT_EQ(r.cmd, Command::Status);
  ASSERT_TRUE(parseRequest(
      R"({"cmd":"violations","since":"15m","type":"logical-isolation","limit":5})", r, err))
      << err;
  EXPECT_EQ(r.cmd, Command::Violations);
  EXPECT_EQ(r.since, seconds(900));
  EXPECT_EQ(r.type, EventType::LogicalIsolation);
  EXPECT_EQ(r.limit, 5u);
  ASSERT_TRUE(parseRequest(R"({"cmd":"reload","confirm":120})", r, err)) << err;
  EXPECT_EQ(r.cmd, Command::Reload);
  EXPECT_EQ(r.confirmSeconds, 120u);
  ASSERT_TRUE(parseRequest(R"({"cmd":"reload"})", r, err));
  EXPECT_FALSE(r.confirmSeconds);
  ASSERT_TRUE(parseRequest(R"({"cmd":"audit","op":"verify"})", r, err));
  EXPECT_EQ(r.cmd, Command::AuditVerify);
  ASSERT_TRUE(parseRequest(R"({"cmd":"audit","op":"show","limit":20})", r, err));
  EXPECT_EQ(r.cmd, Command::AuditShow);
  for (auto c : {"flows", "confirm", "rollback", "stats"}) {
    EXPECT_TRUE(parseRequest(std::string(R"({"cmd":")") + c + "\"}", r, err)) << c;
    EXPECT_STREQ(commandName(r.cmd), c);
  }
}

TEST(ControlProtocol, RoundTripsThroughRequestToJson) {
  ControlRequest r, back;
  r.cmd = Command::Violations;
  r.since = seconds(3600);
  r.type = EventType::PhysicalIsolation;
  std::string err;
  ASSERT_TRUE(parseRequest(requestToJson(r), back, err)) << err;
  EXPECT_EQ(back.since, r.since);
  EXPECT_EQ(back.type, r.type);
  r = {};
  r.cmd = Command::AuditShow;
  ASSERT_TRUE(parseRequest(requestToJson(r), back, err)) << err;
  EXPECT_EQ(back.cmd, Command::AuditShow);
}

TEST(ControlProtocol, BadRequestsGetPreciseErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"",
       "invalid JSON: parse error at line 1, column 1: syntax error while parsing value - "
       "unexpected end of input; expected '[', '{', or a literal"},
      {"[]", "request must be a JSON object"},
      {R"({})", "missing key 'cmd'"},
      {R"({"cmd":1})", "key 'cmd': expected a string"},
      {R"({"cmd":"shutdown"})",
       "unknown command 'shutdown' (status, stats, violations, flows, reload, confirm, rollback, "
       "audit)"},
      {R"({"cmd":"status","x":1})", "unknown key 'x'"},
      {R"({"cmd":"status","cmd":"reload"})", "duplicate key 'cmd'"},
      {R"({"cmd":"reload","confirm":0})", "key 'confirm': seconds between 1 and 86400"},
      {R"({"cmd":"reload","confirm":"120"})", "key 'confirm': expected a non-negative integer"},
      {R"({"cmd":"reload","confirm":86401})", "key 'confirm': seconds between 1 and 86400"},
      {R"({"cmd":"violations","since":"10x"})",
       "key 'since': invalid duration '10x' (a number with s, m, h or d, e.g. 15m)"},
      {R"({"cmd":"violations","type":"audit"})",
       "key 'type': 'audit' is not a violation type (physical-isolation, isolation-breach, "
       "logical-isolation, spoofed-source, malformed)"},
      {R"({"cmd":"violations","limit":10001})", "key 'limit': at most 10000"},
      {R"({"cmd":"audit"})", "missing key 'op'"},
      {R"({"cmd":"audit","op":"erase"})", "key 'op': expected \"show\" or \"verify\""},
      {R"({"cmd":"status","a":{"b":{}}})", "nesting deeper than 2"},
      {std::string(kMaxControlRequest + 1, ' '), "request longer than 4096 bytes"},
  };
  for (const auto& [line, want] : cases) {
    ControlRequest r;
    std::string err;
    EXPECT_FALSE(parseRequest(line, r, err)) << line;
    EXPECT_EQ(err, want) << line;
  }
}

TEST(ControlProtocol, Durations) {
  EXPECT_EQ(parseDuration("90"), seconds(90));
  EXPECT_EQ(parseDuration("2h"), seconds(7200));
  EXPECT_EQ(parseDuration("7d"), seconds(604800));
  EXPECT_FALSE(parseDuration(""));
  EXPECT_FALSE(parseDuration("m"));
  EXPECT_FALSE(parseDuration("-5m"));
  EXPECT_FALSE(parseDuration("99999999999999d"));
}

TEST(ControlRoles, RoleTable) {
  for (Command c :
       {Command::Status, Command::Stats, Command::Violations, Command::Flows, Command::Reload,
        Command::Confirm, Command::Rollback, Command::AuditShow, Command::AuditVerify}) {
    EXPECT_TRUE(roleAllows(Role::Admin, c));
    EXPECT_TRUE(roleAllows(Role::Officer, c));
    EXPECT_FALSE(roleAllows(Role::None, c));
  }
  EXPECT_TRUE(roleAllows(Role::Auditor, Command::Stats));
  EXPECT_TRUE(roleAllows(Role::Auditor, Command::Violations));
  EXPECT_TRUE(roleAllows(Role::Auditor, Command::AuditShow));
  EXPECT_TRUE(roleAllows(Role::Auditor, Command::AuditVerify));
  EXPECT_FALSE(roleAllows(Role::Auditor, Command::Reload));
  EXPECT_FALSE(roleAllows(Role::Auditor, Command::Confirm));
  EXPECT_FALSE(roleAllows(Role::Auditor, Command::Rollback));
  EXPECT_FALSE(roleAllows(Role::Auditor, Command::Flows));
}

TEST(ControlRoles, UserAndGroupNamesMapToTheHighestRole) {
  RoleMap m;
  m.admin = {"root"};
  m.officer = {"isogate-officer", "alice"};
  m.auditor = {"isogate-audit"};
  PeerIdentity who;
  who.user = "bob";
  who.groups = {"bob", "isogate-audit"};
  EXPECT_EQ(m.resolve(who), Role::Auditor);
  who.groups.push_back("isogate-officer");
  EXPECT_EQ(m.resolve(who), Role::Officer);
  who = {};
  who.user = "alice";
  EXPECT_EQ(m.resolve(who), Role::Officer);
  who.user = "root";
  EXPECT_EQ(m.resolve(who), Role::Admin);
  who.user = "mallory";
  who.groups = {"users"};
  EXPECT_EQ(m.resolve(who), Role::None);
}

TEST(ControlRoles, IdentityOfRealUsers) {
  PeerIdentity root = identityOf(0, 0);
  EXPECT_EQ(root.user, "root");
  EXPECT_NE(std::find(root.groups.begin(), root.groups.end(), "root"), root.groups.end());
  PeerIdentity nobody = identityOf(4000000000, 4000000000);
  EXPECT_EQ(nobody.user, "uid:4000000000");
  EXPECT_EQ(nobody.groups, std::vector<std::string>{"gid:4000000000"});
  PeerIdentity me = identityOf(::getuid(), ::getgid());
  EXPECT_FALSE(me.user.empty());
}

}  // namespace
}  // namespace isogate::mgmt
