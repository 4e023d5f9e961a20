#include "policy/policy_diff.h"

#include <gtest/gtest.h>

#include "policy/pipeline.h"
#include "tests/policy/policy_fixture.h"

namespace isogate::policy {
namespace {

const std::string kHead = testing::policyText({"version: 1\nname: diff-test\nzones:\n",
                                               testing::kExtranetZone, R"(  portal:
    level: public
    networks: [172.16.30.0/24, "2001:db8:30::/48"]
)",
                                               testing::kInternetZone, testing::kLogicalHttpsSsh});

const std::string kCitizens(testing::kCitizensRule);

const std::string kPublish =
    testing::policyText({testing::kPublishContentRule, R"(    ref: EX-2026-017
    schedule: {days: [mon, tue, wed, thu, fri], hours: "08:00-18:00"}
)"});

const std::string kAlt(testing::kCitizensAltRule);

Policy load(const std::string& rules, const char* file, const std::string& head = kHead) {
  PolicyBuild b = buildPolicyText(head + rules, file);
  EXPECT_TRUE(b.ok()) << file;
  for (const auto& d : b.diags.all())
    if (d.severity == Severity::Error) ADD_FAILURE() << formatDiagnostic(d);
  return b.model;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

TEST(PolicyDiffTest, OpenedAndClosedLines) {
  const Policy oldP = load(std::string(kCitizens) + kPublish, "old.yaml");
  const Policy newP = load(std::string(kCitizens) + kAlt, "new.yaml");
  const PolicyDiff d = diffPolicies(oldP, newP);
  EXPECT_TRUE(d.structural.empty());
  EXPECT_EQ(formatDiff(d),
            "- extranet -> portal  tcp/22 from 10.20.5.0/24 to 172.16.30.10/32 during mon-fri "
            "08:00-18:00  "
            "(was rule 'publish-content')\n"
            "+ internet -> portal  tcp/8443  (rule 'citizens-alt' EX-2026-020)\n");
  ASSERT_EQ(d.changes.size(), 2u);
  EXPECT_FALSE(d.changes[0].opened);
  EXPECT_EQ(d.changes[1].rule, "citizens-alt");
  const auto j = diffToJson(d);
  EXPECT_EQ(j["changed"], true);
  EXPECT_EQ(j["reachability"][1]["change"], "opened");
  EXPECT_EQ(j["reachability"][1]["service"], "tcp/8443");
  EXPECT_TRUE(j["reachability"][1]["from"].is_null());
}

TEST(PolicyDiffTest, ReorderingWithoutEffectIsNoChange) {
  const Policy oldP = load(std::string(kCitizens) + kPublish + kAlt, "old.yaml");
  const Policy newP = load(std::string(kAlt) + kPublish + kCitizens, "new.yaml");
  const PolicyDiff d = diffPolicies(oldP, newP);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(formatDiff(d), "no change in reachability\n");
}

TEST(PolicyDiffTest, LongerScheduleOpensOnlyTheExtraHours) {
  const Policy oldP = load(kPublish, "old.yaml");
  const Policy newP = load(replaceAll(kPublish, "08:00-18:00", "08:00-20:00"), "new.yaml");
  EXPECT_EQ(formatDiff(diffPolicies(oldP, newP)),
            "+ extranet -> portal  tcp/22 from 10.20.5.0/24 to 172.16.30.10/32 during mon-fri "
            "18:00-20:00  "
            "(rule 'publish-content' EX-2026-017)\n");
}

TEST(PolicyDiffTest, DenyRuleInFrontClosesPartOfTheZone) {
  const std::string block = R"(  - name: block
    from: {zone: internet, networks: [198.51.100.0/24]}
    to: portal
    action: deny
)";
  const Policy oldP = load(kCitizens, "old.yaml");
  const Policy newP = load(block + kCitizens, "new.yaml");
  EXPECT_EQ(formatDiff(diffPolicies(oldP, newP)),
            "- internet -> portal  tcp/443 from 198.51.100.0/24  (was rule 'citizens'; now denied "
            "by rule 'block')\n");
}

TEST(PolicyDiffTest, OneFamilyOfWholeZones) {
  const Policy oldP = load(kCitizens, "old.yaml");
  const Policy newP = load(replaceAll(kCitizens, "    to: portal\n",
                                      "    to: {zone: portal, networks: [172.16.30.0/24]}\n"),
                           "new.yaml");
  EXPECT_EQ(formatDiff(diffPolicies(oldP, newP)),
            "- internet -> portal  tcp/443 (IPv6 only)  (was rule 'citizens')\n");
}

TEST(PolicyDiffTest, ZoneAndIsolationChanges) {
  const Policy oldP = load(kCitizens, "old.yaml");
  std::string head =
      replaceAll(kHead, "networks: [10.20.0.0/16, \"fd20::/48\"]",
                 "networks: [10.20.0.0/16, 10.21.0.0/16, \"fd20::/48\"]\n    intra_zone: deny");
  head = replaceAll(
      head, "  default: logical\n",
      "  default: logical\n  pairs:\n    - zones: [extranet, internet]\n      mode: physical\n");
  const Policy newP = load(kCitizens, "new.yaml", head);
  const PolicyDiff d = diffPolicies(oldP, newP);
  EXPECT_EQ(d.structural, (std::vector<std::string>{
                              "~ zone extranet networks: +10.21.0.0/16",
                              "~ zone extranet intra_zone: allow -> deny",
                              "~ isolation extranet <-> internet: logical -> physical",
                          }));
  // 10.21.0.0/16 moved from the internet zone (where citizens could reach the
  // portal from it) to the extranet; extranet hosts no longer talk to each other.
  const std::string text = formatDiff(d);
  EXPECT_NE(text.find("- extranet -> extranet  any  (was intra_zone allow)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("- internet -> portal  tcp/443 from 10.21.0.0/16  (was rule 'citizens')\n"),
            std::string::npos)
      << text;
}

// Many rules with their own networks and ports: cells are grouped into classes
// the rules cannot tell apart, so this stays a fraction of a second.
TEST(PolicyDiffTest, ManyRulesOneChangedPort) {
  std::string rules;
  for (int i = 0; i < 200; ++i) {
    rules += "  - name: gen-" + std::to_string(i) +
             "\n    from: {zone: extranet, networks: [10.20." + std::to_string(i) +
             ".0/24]}\n    to: {zone: portal, networks: [172.16.30." + std::to_string(i) +
             "/32]}\n    services: [{tcp: [" + std::to_string(1000 + i) +
             "]}]\n    action: allow\n";
  }
  const Policy oldP = load(std::string(kCitizens) + kPublish + rules, "old.yaml");
  const Policy newP =
      load(std::string(kCitizens) + kPublish + replaceAll(rules, "tcp: [1010]", "tcp: [2010]"),
           "new.yaml");
  EXPECT_EQ(
      formatDiff(diffPolicies(oldP, newP)),
      "+ extranet -> portal  tcp/2010 from 10.20.10.0/24 to 172.16.30.10/32  (rule 'gen-10')\n"
      "- extranet -> portal  tcp/1010 from 10.20.10.0/24 to 172.16.30.10/32  (was rule "
      "'gen-10')\n");
}

}  // namespace
}  // namespace isogate::policy
