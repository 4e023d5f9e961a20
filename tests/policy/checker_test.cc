#include "policy/checker.h"

#include <gtest/gtest.h>

#include <ctime>
#include <iostream>
#include <string>

#include "policy/loader.h"

namespace isogate::policy {
namespace {

const std::string kFixtures = std::string(ISOGATE_SOURCE_DIR) + "/tests/policy/fixtures/";

std::string diagText(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.sorted()) out += formatDiagnostic(x) + "\n";
  return out;
}

// Loads (must load cleanly) and checks; returns the checker's diagnostics.
std::string check(const std::string& text) {
  Diagnostics d;
  const Policy p = loadPolicyText(text, "p.yaml", d);
  EXPECT_EQ(diagText(d), "") << "fixture must load cleanly";
  checkPolicy(p, d);
  return diagText(d);
}

// Two logically isolated zones and a service set for rule tests (lines 1-17).
const std::string kHead = R"(version: 1
name: t
zones:
  lan:
    networks: [10.1.0.0/16, "fd01::/48"]
  wan:
    networks: [any]
isolation:
  pairs:
    - zones: [lan, wan]
      mode: logical
services:
  web: {tcp: [80, 443]}
  https: {tcp: [443]}
  high: {tcp: ["1024-65535"]}
  ping: {icmp: [echo-request]}
rules:
)";

std::string useAll() {
  return "  - {name: use-all, from: wan, to: lan, services: [web, https, high, ping], action: "
         "deny}\n";
}

TEST(CheckerTest, CleanFixtureHasNoDiagnostics) {
  Diagnostics d;
  const Policy p = loadPolicyFile(kFixtures + "clean.yaml", d);
  checkPolicy(p, d);
  EXPECT_EQ(diagText(d), "");
}

TEST(CheckerTest, SpecExampleWarnsAboutUnusedServicesAndTheSilentPair) {
  Diagnostics d2;
  const Policy q = loadPolicyFile(kFixtures + "spec-example.yaml", d2);
  checkPolicy(q, d2);
  const std::string f = kFixtures + "spec-example.yaml";
  EXPECT_EQ(diagText(d2),
            f +
                ":23:7: warning: logical pair extranet/internet has no rule; all traffic between "
                "them is denied\n" +
                f + ":29:3: warning: service 'dns' is defined but no rule uses it\n" + f +
                ":31:3: warning: service 'high' is defined but no rule uses it\n" + f +
                ":32:3: warning: service 'ping' is defined but no rule uses it\n");
  EXPECT_FALSE(d2.hasErrors());
}

TEST(CheckerTest, ShadowedByBroaderEarlierRule) {
  EXPECT_EQ(check(kHead + useAll() +
                  R"(  - {name: all-web, from: lan, to: wan, services: [web], action: allow}
  - {name: only-https, from: lan, to: wan, services: [https], action: deny}
)"),
            "p.yaml:20:5: warning: rule 'only-https' can never match: earlier rule 'all-web' "
            "(line 19) covers all its traffic\n");
}

TEST(CheckerTest, AnyServiceRuleShadowsEverythingAfterItInThatDirection) {
  EXPECT_EQ(check(kHead + useAll() + R"(  - {name: everything, from: lan, to: wan, action: allow}
  - {name: ping-out, from: lan, to: wan, services: [ping], action: deny}
  - {name: ping-in, from: wan, to: lan, services: [ping], action: deny}
)"),
            "p.yaml:20:5: warning: rule 'ping-out' can never match: earlier rule 'everything' "
            "(line 19) covers all its traffic\n"
            "p.yaml:21:5: warning: rule 'ping-in' can never match: earlier rule 'use-all' "
            "(line 18) covers all its traffic\n");
}

TEST(CheckerTest, NarrowerEarlierRuleDoesNotShadow) {
  EXPECT_EQ(check(kHead + useAll() +
                  R"(  - {name: https-out, from: lan, to: wan, services: [https], action: allow}
  - {name: web-out, from: lan, to: wan, services: [web], action: deny}
  - {name: any-out, from: lan, to: wan, action: deny}
)"),
            "");
}

TEST(CheckerTest, ShadowConsidersNetworks) {
  EXPECT_EQ(check(kHead + useAll() + R"(  - name: subnet
    from: {zone: lan, networks: [10.1.0.0/20]}
    to: wan
    services: [https]
    action: allow
  - name: host
    from: {zone: lan, networks: [10.1.2.3/32]}
    to: wan
    services: [https]
    action: deny
  - name: other-host
    from: {zone: lan, networks: [10.1.200.3/32]}
    to: wan
    services: [https]
    action: deny
  - name: whole-zone
    from: {zone: lan, networks: [10.1.0.0/16, "fd01::/48"]}
    to: wan
    services: [high]
    action: allow
  - {name: covered-by-listing, from: lan, to: wan, services: [high], action: deny}
)"),
            "p.yaml:24:5: warning: rule 'host' can never match: earlier rule 'subnet' (line 19) "
            "covers all its traffic\n"
            "p.yaml:39:5: warning: rule 'covered-by-listing' can never match: earlier rule "
            "'whole-zone' (line 34) covers all its traffic\n");
}

TEST(CheckerTest, ShadowConsidersSchedules) {
  EXPECT_EQ(
      check(
          kHead + useAll() +
          R"(  - {name: office, from: lan, to: wan, action: allow, schedule: {days: [mon, tue], hours: "08:00-18:00"}}
  - {name: morning, from: lan, to: wan, action: deny, schedule: {days: [mon], hours: "09:00-12:00"}}
  - {name: weekend, from: lan, to: wan, action: deny, schedule: {days: [sat], hours: "09:00-12:00"}}
  - {name: always, from: lan, to: wan, action: deny}
  - {name: night, from: wan, to: lan, action: allow, schedule: {hours: "22:00-06:00"}}
  - {name: late, from: wan, to: lan, action: allow, schedule: {hours: "23:00-05:00"}}
  - {name: evening, from: wan, to: lan, action: allow, schedule: {hours: "22:30-23:30"}}
)"),
      "p.yaml:20:5: warning: rule 'morning' can never match: earlier rule 'office' (line "
      "19) covers all its traffic\n"
      "p.yaml:24:5: warning: rule 'late' can never match: earlier rule 'night' (line 23) "
      "covers all its traffic\n"
      "p.yaml:25:5: warning: rule 'evening' can never match: earlier rule 'night' (line "
      "23) covers all its traffic\n");
}

TEST(CheckerTest, ShadowReportsTheEarliestCoveringRule) {
  EXPECT_EQ(check(kHead + useAll() +
                  R"(  - {name: a, from: lan, to: wan, services: [{tcp: ["1-1000"]}], action: allow}
  - {name: b, from: lan, to: wan, services: [{tcp: [443]}], action: allow}
  - {name: c, from: lan, to: wan, services: [https], action: deny}
)"),
            "p.yaml:20:5: warning: rule 'b' can never match: earlier rule 'a' (line 19) covers all "
            "its traffic\n"
            "p.yaml:21:5: warning: rule 'c' can never match: earlier rule 'a' (line 19) covers all "
            "its traffic\n");
}

TEST(CheckerTest, UnusedZoneWarnsButClassifiedZoneDoesNot) {
  EXPECT_EQ(check(R"(version: 1
name: t
zones:
  lab:
    networks: [10.9.0.0/16]
  vault:
    level: classified
    networks: [10.8.0.0/16]
  lan:
    networks: [10.1.0.0/16]
rules:
  - {name: intra, from: lan, to: lan, action: allow}
)"),
            "p.yaml:4:3: warning: zone 'lab' is defined but no rule or isolation pair names it\n");
}

TEST(CheckerTest, IntraZoneRulesAreAllowed) {
  EXPECT_EQ(check(R"(version: 1
name: t
zones:
  lan: {networks: [10.1.0.0/16], intra_zone: deny}
rules:
  - {name: printers, from: lan, to: {zone: lan, networks: [10.1.9.0/24]}, action: allow}
)"),
            "");
}

TEST(CheckerTest, RuleNetworksInsideTheAnyZoneAreFine) {
  EXPECT_EQ(check(kHead + useAll() + R"(  - name: to-partner
    from: lan
    to: {zone: wan, networks: [203.0.113.0/24, "2001:db8::/32"]}
    action: allow
)"),
            "");
}

TEST(CheckerTest, SameZoneOverlapIsOnlyAWarning) {
  const std::string out = check(R"(version: 1
name: t
zones:
  lan: {networks: [10.1.0.0/16, 10.1.5.0/24]}
rules:
  - {name: intra, from: lan, to: lan, action: allow}
)");
  EXPECT_EQ(out,
            "p.yaml:4:33: warning: network 10.1.5.0/24 of zone 'lan' overlaps 10.1.0.0/16 of the "
            "same zone (line 4)\n");
}

TEST(CheckerTest, CheckerToleratesAPartiallyLoadedModel) {
  // The pipeline checks only clean loads, but the checker must not trip over
  // holes the loader leaves after errors.
  Diagnostics d;
  const Policy p = loadPolicyText(R"(version: 1
name: t
zones:
  lan: {networks: [10.1.0.0/33]}
  wan: {networks: [any, any]}
isolation: {pairs: [{zones: [lan], mode: logical}, {zones: [lan, wan], mode: maybe}]}
services: {s: {tcp: [0]}, t: {}}
rules:
  - {name: r, from: {zone: lan, networks: [bad]}, to: {networks: []}, services: [s, t, {udp: []}], action: x}
  - {from: lan}
)",
                                  "p.yaml", d);
  EXPECT_TRUE(d.hasErrors());
  EXPECT_NO_THROW(checkPolicy(p, d));
}

// A policy with 100k rules spread over a few zone pairs, distinct ports, and
// a planted shadowed rule at the end: the shadow analysis must find exactly it
// (and run in well under a second; see docs/policy-errors.md).
TEST(CheckerTest, HundredThousandRulesFindThePlantedShadow) {
  Policy p;
  p.file = "big.yaml";
  p.version = 1;
  p.name = "big";
  const char* zones[] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; ++i) {
    Zone z;
    z.name = zones[i];
    z.networks.push_back({*parsePrefix("10." + std::to_string(i) + ".0.0/16"), {}});
    p.zones.push_back(z);
  }
  p.defaultMode = IsolationMode::Logical;
  const int kRules = 100000;
  p.rules.reserve(kRules + 1);
  for (int i = 0; i < kRules; ++i) {
    Rule r;
    r.name = "r" + std::to_string(i);
    r.where = Location{"big.yaml", i + 1, 5};
    r.from.zone = zones[i % 4];
    r.to.zone = zones[(i / 4) % 4];
    r.anyService = false;
    ServiceRef ref;
    ServiceTerm t;
    t.protocol = (i / 16) % 2 ? kProtoUdp : kProtoTcp;
    t.ports = {PortRange{static_cast<uint16_t>(1 + (i / 32) % 65000),
                         static_cast<uint16_t>(1 + (i / 32) % 65000)}};
    ref.inlineTerms.push_back(t);
    r.services.push_back(ref);
    r.action = Action::Allow;
    p.rules.push_back(std::move(r));
  }
  // Rule 0 (a -> a, tcp/1); a later copy with a narrower source network is shadowed.
  Rule copy = p.rules[0];
  copy.name = "planted";
  copy.where = Location{"big.yaml", kRules + 1, 5};
  copy.from.networks.push_back({*parsePrefix("10.0.1.0/24"), {}});
  p.rules.push_back(copy);

  Diagnostics d;
  const std::clock_t start = std::clock();
  checkPolicy(p, d);
  // Informative only (no timing in pass/fail): CPU time, so a busy machine does not skew it.
  std::cout << "checkPolicy of " << p.rules.size()
            << " rules: " << (std::clock() - start) * 1000 / CLOCKS_PER_SEC << " ms CPU\n";
  ASSERT_EQ(d.warningCount(), 1) << diagText(d);
  EXPECT_EQ(formatDiagnostic(d.all()[0]),
            "big.yaml:100001:5: warning: rule 'planted' can never match: earlier rule 'r0' "
            "(line 1) covers all its traffic");
  EXPECT_FALSE(d.hasErrors());
}

}  // namespace
}  // namespace isogate::policy
