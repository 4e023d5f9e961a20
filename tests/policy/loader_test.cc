#include "policy/loader.h"

#include <gtest/gtest.h>

#include <string>

namespace isogate::policy {
namespace {

const std::string kFixtures = std::string(ISOGATE_SOURCE_DIR) + "/tests/policy/fixtures/";

std::string diagText(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.sorted()) out += formatDiagnostic(x) + "\n";
  return out;
}

Policy loadClean(const std::string& text) {
  Diagnostics d;
  Policy p = loadPolicyText(text, "p.yaml", d);
  EXPECT_EQ(diagText(d), "");
  return p;
}

const std::string kMinimal = R"(version: 1
name: mini
zones:
  a:
    networks: [10.1.0.0/16]
  b:
    networks: ["fd00::/8", 192.168.0.0/24]
)";

TEST(LoaderTest, SpecExampleLoadsEveryField) {
  Diagnostics d;
  const Policy p = loadPolicyFile(kFixtures + "spec-example.yaml", d);
  ASSERT_EQ(diagText(d), "");
  EXPECT_EQ(p.version, 1);
  EXPECT_EQ(p.name, "tianjin-egov-boundary");
  ASSERT_EQ(p.zones.size(), 4u);

  const Zone& intranet = p.zones[0];
  EXPECT_EQ(intranet.name, "intranet");
  EXPECT_EQ(intranet.description, "government internal network (classified)");
  EXPECT_EQ(intranet.level, Level::Classified);
  EXPECT_EQ(intranet.where.line, 4);
  EXPECT_EQ(intranet.where.column, 3);
  EXPECT_EQ(intranet.levelWhere.line, 6);
  EXPECT_EQ(intranet.levelWhere.column, 12);
  ASSERT_EQ(intranet.networks.size(), 2u);
  EXPECT_EQ(toString(intranet.networks[0].value), "10.10.0.0/16");
  EXPECT_EQ(intranet.networks[0].where.line, 7);
  EXPECT_EQ(intranet.networks[0].where.column, 16);
  EXPECT_EQ(toString(intranet.networks[1].value), "fd10::/48");
  EXPECT_EQ(intranet.networks[1].where.column, 30);
  EXPECT_FALSE(intranet.isAny);
  EXPECT_TRUE(intranet.intraZoneAllow);

  const Zone& internet = p.zones[3];
  EXPECT_TRUE(internet.isAny);
  EXPECT_TRUE(internet.networks.empty());
  EXPECT_EQ(internet.anyWhere.line, 17);
  EXPECT_EQ(internet.anyWhere.column, 16);

  EXPECT_EQ(p.defaultMode, IsolationMode::Physical);
  EXPECT_EQ(p.defaultWhere.line, 19);
  ASSERT_EQ(p.pairs.size(), 3u);
  EXPECT_EQ(p.pairs[0].a, "extranet");
  EXPECT_EQ(p.pairs[0].b, "portal");
  EXPECT_EQ(p.pairs[0].mode, IsolationMode::Logical);
  EXPECT_EQ(p.pairs[0].where.line, 21);
  EXPECT_EQ(p.pairs[0].where.column, 7);
  EXPECT_EQ(p.pairs[0].aWhere.column, 15);
  EXPECT_EQ(p.pairs[0].bWhere.column, 25);

  ASSERT_EQ(p.services.size(), 5u);
  const Service& dns = p.services[1];
  EXPECT_EQ(dns.name, "dns");
  ASSERT_EQ(dns.terms.size(), 2u);
  EXPECT_EQ(dns.terms[0].protocol, kProtoUdp);
  EXPECT_EQ(dns.terms[0].ports, (std::vector<PortRange>{{53, 53}}));
  EXPECT_EQ(dns.terms[1].protocol, kProtoTcp);
  EXPECT_EQ(p.services[3].terms[0].ports, (std::vector<PortRange>{{1024, 65535}}));
  EXPECT_EQ(p.services[4].terms[0].protocol, kProtoIcmp);
  EXPECT_EQ(p.services[4].terms[0].icmpTypes, (std::vector<uint8_t>{8}));

  ASSERT_EQ(p.rules.size(), 2u);
  const Rule& r0 = p.rules[0];
  EXPECT_EQ(r0.name, "citizens-browse-portal");
  EXPECT_EQ(r0.where.line, 34);
  EXPECT_EQ(r0.where.column, 5);
  EXPECT_EQ(r0.nameWhere.column, 11);
  EXPECT_EQ(r0.from.zone, "internet");
  EXPECT_EQ(r0.from.where.line, 35);
  EXPECT_EQ(r0.from.where.column, 5);
  EXPECT_EQ(r0.from.zoneWhere.column, 11);
  EXPECT_TRUE(r0.from.networks.empty());
  EXPECT_FALSE(r0.anyService);
  ASSERT_EQ(r0.services.size(), 1u);
  EXPECT_EQ(r0.services[0].name, "https");
  EXPECT_EQ(r0.action, Action::Allow);
  EXPECT_FALSE(r0.log);
  EXPECT_FALSE(r0.schedule.has_value());

  const Rule& r1 = p.rules[1];
  EXPECT_EQ(r1.from.zone, "extranet");
  EXPECT_EQ(r1.from.zoneWhere.line, 40);
  EXPECT_EQ(r1.from.zoneWhere.column, 18);
  ASSERT_EQ(r1.from.networks.size(), 1u);
  EXPECT_EQ(toString(r1.from.networks[0].value), "10.20.5.0/24");
  EXPECT_EQ(toString(r1.to.networks[0].value), "172.16.30.10/32");
  EXPECT_TRUE(r1.log);
  EXPECT_EQ(r1.ref, "EX-2026-017");
  ASSERT_TRUE(r1.schedule.has_value());
  EXPECT_EQ(r1.schedule->days, 0x1f);
  EXPECT_EQ(r1.schedule->startMinute, 8 * 60);
  EXPECT_EQ(r1.schedule->endMinute, 18 * 60);
  EXPECT_EQ(r1.schedule->where.line, 46);
}

TEST(LoaderTest, DefaultsForOptionalKeys) {
  const Policy p = loadClean(kMinimal + "rules:\n  - {name: r, from: a, to: b, action: deny}\n");
  ASSERT_EQ(p.zones.size(), 2u);
  EXPECT_EQ(p.zones[0].level, Level::Public);
  EXPECT_TRUE(p.zones[0].intraZoneAllow);
  EXPECT_EQ(p.defaultMode, IsolationMode::Physical);
  EXPECT_EQ(p.defaultWhere.line, 0);
  EXPECT_TRUE(p.pairs.empty());
  ASSERT_EQ(p.rules.size(), 1u);
  EXPECT_TRUE(p.rules[0].anyService);
  EXPECT_EQ(p.rules[0].action, Action::Deny);
}

TEST(LoaderTest, EmptySectionsAreFine) {
  const Policy p = loadClean(kMinimal + "services:\nrules:\nisolation:\n  pairs: []\n");
  EXPECT_TRUE(p.services.empty());
  EXPECT_TRUE(p.rules.empty());
}

TEST(LoaderTest, InlineServicesAndIcmpNumbers) {
  const Policy p = loadClean(kMinimal + R"(rules:
  - name: r
    from: a
    to: b
    services: [{tcp: [8443, "9000-9010"]}, {icmpv6: [echo-request, 1]}]
    action: allow
)");
  ASSERT_EQ(p.rules[0].services.size(), 2u);
  EXPECT_TRUE(p.rules[0].services[0].name.empty());
  EXPECT_EQ(p.rules[0].services[0].inlineTerms[0].ports,
            (std::vector<PortRange>{{8443, 8443}, {9000, 9010}}));
  EXPECT_EQ(p.rules[0].services[1].inlineTerms[0].protocol, kProtoIcmpv6);
  EXPECT_EQ(p.rules[0].services[1].inlineTerms[0].icmpTypes, (std::vector<uint8_t>{128, 1}));
  EXPECT_EQ(p.rules[0].services[0].where.line, 12);
  EXPECT_EQ(p.rules[0].services[0].where.column, 16);
}

TEST(LoaderTest, SchedulesPastMidnightAndWholeDay) {
  const Policy p = loadClean(kMinimal + R"(rules:
  - {name: night, from: a, to: b, action: allow, schedule: {hours: "22:00-06:30"}}
  - {name: day, from: a, to: b, action: allow, schedule: {days: [sat, sun], hours: "00:00-24:00"}}
  - {name: short, from: a, to: b, action: allow, schedule: {hours: "7:05-7:06"}}
)");
  EXPECT_EQ(p.rules[0].schedule->days, 0x7f);
  EXPECT_EQ(p.rules[0].schedule->startMinute, 22 * 60);
  EXPECT_EQ(p.rules[0].schedule->endMinute, 6 * 60 + 30);
  EXPECT_EQ(p.rules[1].schedule->days, 0x60);
  EXPECT_EQ(p.rules[1].schedule->startMinute, 0);
  EXPECT_EQ(p.rules[1].schedule->endMinute, 1440);
  EXPECT_EQ(p.rules[2].schedule->startMinute, 7 * 60 + 5);
}

TEST(LoaderTest, IntraZoneDenyAndLevels) {
  const Policy p = loadClean(R"(version: 1
name: x
zones:
  a: {networks: [10.0.0.0/8], level: internal, intra_zone: deny}
  b: {networks: [any], level: classified}
)");
  EXPECT_FALSE(p.zones[0].intraZoneAllow);
  EXPECT_EQ(p.zones[0].level, Level::Internal);
  EXPECT_EQ(p.zones[1].level, Level::Classified);
  EXPECT_TRUE(p.zones[1].isAny);
}

TEST(LoaderTest, KeepsGoingAndReportsEveryError) {
  Diagnostics d;
  loadPolicyText(R"(version: 1
name: x
zones:
  a: {networks: [10.0.0.1/8], level: high}
  B: {networks: [10.2.0.0/16]}
services:
  s: {tcp: [0, 70000, "20-10", abc]}
rules:
  - {name: r, from: a, to: b, action: permit, services: [s], colour: red}
)",
                 "p.yaml", d);
  EXPECT_EQ(diagText(d),
            "p.yaml:4:18: error: invalid network '10.0.0.1/8': host bits set; did you mean "
            "10.0.0.0/8?\n"
            "p.yaml:4:38: error: invalid level 'high'; expected public, internal or classified\n"
            "p.yaml:5:3: error: invalid zone name 'B'; use lowercase a-z, 0-9, '_' and '-', "
            "starting with a letter, at most 32 characters\n"
            "p.yaml:7:13: error: invalid port '0'; ports are 1..65535\n"
            "p.yaml:7:16: error: invalid port '70000'; ports are 1..65535\n"
            "p.yaml:7:23: error: invalid port range '20-10'; the first port is greater than the "
            "last\n"
            "p.yaml:7:32: error: invalid port 'abc'; expected a number 1..65535 or a range like "
            "\"1024-65535\"\n"
            "p.yaml:9:39: error: invalid action 'permit'; expected allow or deny\n"
            "p.yaml:9:62: error: unknown key 'colour' in rule 'r'\n");
  EXPECT_EQ(d.errorCount(), 9);
}

TEST(LoaderTest, UnreadableFileIsAnErrorWithoutPosition) {
  Diagnostics d;
  loadPolicyFile("/nonexistent/isogate/policy.yaml", d);
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(formatDiagnostic(d.all()[0]),
            "/nonexistent/isogate/policy.yaml: error: cannot read policy file: No such file or "
            "directory");
}

TEST(LoaderTest, MisspeltKeySuggestsAndDoesNotAlsoReportMissing) {
  Diagnostics d;
  loadPolicyText("version: 1\nname: x\nzones:\n  a:\n    netwroks: [10.0.0.0/8]\n", "p.yaml", d);
  EXPECT_EQ(diagText(d),
            "p.yaml:5:5: error: unknown key 'netwroks' in zone 'a'; did you mean 'networks'?\n");
}

}  // namespace
}  // namespace isogate::policy
