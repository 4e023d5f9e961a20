// Lowering details of compilePolicy: zone ids, prefix tables, matrix, rules.
#include "policy/compiler.h"

#include <gtest/gtest.h>

#include "policy/prefix_table.h"
#include "tests/policy/example_model.h"

namespace isogate::policy {
namespace {

using testing::exampleModel;
using testing::ip;
using testing::pfx;
using testing::specZonesModel;

std::vector<std::string> tableText(const CompiledPolicy& c, const std::vector<ZonePrefix>& t) {
  std::vector<std::string> out;
  for (const auto& zp : t) out.push_back(toString(zp.prefix) + "=" + c.zones[zp.zone].name);
  return out;
}

TEST(CompilerTest, ZonesKeepFileOrderAndAttributes) {
  const CompiledPolicy c = compilePolicy(exampleModel());
  ASSERT_EQ(c.zones.size(), 4u);
  EXPECT_EQ(c.zones[0].name, "intranet");
  EXPECT_EQ(c.zones[0].level, Level::Classified);
  EXPECT_EQ(c.zones[1].name, "extranet");
  EXPECT_EQ(c.zones[2].name, "portal");
  EXPECT_FALSE(c.zones[2].intraZoneAllow);
  EXPECT_EQ(c.zones[3].name, "internet");
  EXPECT_TRUE(c.zones[3].isAny);
  EXPECT_EQ(c.anyZone, 3);
  EXPECT_EQ(c.findZone("portal"), 2);
  EXPECT_EQ(c.findZone("nowhere"), -1);
  EXPECT_EQ(c.name, "tianjin-egov-boundary");
  EXPECT_EQ(c.sourceFile, "model.yaml");
}

TEST(CompilerTest, PrefixTablesAreSortedDisjointAndMergeNestedNetworksOfOneZone) {
  const CompiledPolicy c = compilePolicy(exampleModel());
  // 10.20.5.0/24 sits inside extranet's 10.20.0.0/16 and disappears; 10.20.0.0/16 and
  // 10.21.0.0/16 are the two halves of 10.20.0.0/15, as are portal's two /24s; `any` is
  // not listed.
  EXPECT_EQ(tableText(c, c.prefixes4),
            (std::vector<std::string>{"10.10.0.0/16=intranet", "10.20.0.0/15=extranet", "172.16.30.0/23=portal"}));
  EXPECT_EQ(tableText(c, c.prefixes6),
            (std::vector<std::string>{"2001:db8:30::/48=portal", "fd10::/48=intranet", "fd20::/48=extranet"}));
}

TEST(CompilerTest, ZoneOfUsesTablesThenCatchAll) {
  const CompiledPolicy c = compilePolicy(exampleModel());
  EXPECT_EQ(c.zoneOf(ip("10.10.255.255")), 0);
  EXPECT_EQ(c.zoneOf(ip("10.20.5.7")), 1);
  EXPECT_EQ(c.zoneOf(ip("10.21.0.0")), 1);
  EXPECT_EQ(c.zoneOf(ip("10.22.0.0")), 3);
  EXPECT_EQ(c.zoneOf(ip("10.9.255.255")), 3);
  EXPECT_EQ(c.zoneOf(ip("0.0.0.0")), 3);
  EXPECT_EQ(c.zoneOf(ip("255.255.255.255")), 3);
  EXPECT_EQ(c.zoneOf(ip("fd10::1")), 0);
  EXPECT_EQ(c.zoneOf(ip("fd10:0:1::1")), 3);
  EXPECT_EQ(c.zoneOf(ip("2001:db8:30:ffff::1")), 2);

  Policy noAny = specZonesModel();
  noAny.zones.pop_back();
  noAny.pairs.pop_back();
  noAny.pairs.pop_back();
  const CompiledPolicy n = compilePolicy(noAny);
  EXPECT_EQ(n.anyZone, -1);
  EXPECT_FALSE(n.zoneOf(ip("8.8.8.8")).has_value());
  EXPECT_EQ(n.zoneOf(ip("172.16.30.1")), 2);
}

TEST(PrefixTableTest, CarvesMoreSpecificNetworksOfOtherZonesOut) {
  // Longest prefix: zone 1 holds 10.0.0.0/8 except 10.64.0.0/10, which is zone 2,
  // except 10.64.1.0/24, which is zone 1 again.
  const auto table = buildPrefixTable(
      {{pfx("10.64.0.0/10"), 2}, {pfx("10.0.0.0/8"), 1}, {pfx("10.64.1.0/24"), 1}, {pfx("10.0.0.0/8"), 3}}, -1);
  std::vector<std::string> text;
  for (const auto& zp : table) text.push_back(toString(zp.prefix) + "=" + std::to_string(zp.zone));
  EXPECT_EQ(text, (std::vector<std::string>{"10.0.0.0/10=1", "10.64.0.0/24=2", "10.64.1.0/24=1", "10.64.2.0/23=2",
                                            "10.64.4.0/22=2", "10.64.8.0/21=2", "10.64.16.0/20=2",
                                            "10.64.32.0/19=2", "10.64.64.0/18=2", "10.64.128.0/17=2",
                                            "10.65.0.0/16=2", "10.66.0.0/15=2", "10.68.0.0/14=2", "10.72.0.0/13=2",
                                            "10.80.0.0/12=2", "10.96.0.0/11=2", "10.128.0.0/9=1"}));
}

TEST(PrefixTableTest, MergesAdjacentHalvesAndDropsCatchAllEntries) {
  const auto table = buildPrefixTable({{pfx("192.168.0.0/25"), 0},
                                       {pfx("192.168.0.128/25"), 0},
                                       {pfx("192.168.1.0/24"), 0},
                                       {pfx("192.168.2.0/24"), 5},   // the catch-all zone: a miss anyway
                                       {pfx("192.168.3.0/24"), 0}},
                                      5);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(toString(table[0].prefix), "192.168.0.0/23");
  EXPECT_EQ(toString(table[1].prefix), "192.168.3.0/24");
}

TEST(PrefixTableTest, ExactTieGoesToTheFirstZoneAndWholeSpaceWorks) {
  const auto table = buildPrefixTable({{pfx("::/0"), 4}, {pfx("::/0"), 2}, {pfx("fd00::/8"), 1}}, -1);
  ASSERT_FALSE(table.empty());
  CompiledPolicy c;
  c.prefixes6 = table;
  EXPECT_EQ(c.zoneOf(ip("fd00::1")), 1);
  EXPECT_EQ(c.zoneOf(ip("::")), 2);
  EXPECT_EQ(c.zoneOf(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), 2);
  EXPECT_EQ(c.zoneOf(ip("fc00::1")), 2);
  for (size_t i = 1; i < table.size(); ++i) EXPECT_LT(table[i - 1].prefix.last(), table[i].prefix.first());
}

TEST(CompilerTest, MatrixFromDefaultAndPairsWithIntraOnTheDiagonal) {
  const CompiledPolicy c = compilePolicy(exampleModel());
  ASSERT_EQ(c.matrix.size(), 16u);
  for (uint16_t z = 0; z < 4; ++z) EXPECT_EQ(c.pair(z, z), PairKind::Intra);
  for (uint16_t z = 1; z < 4; ++z) {
    EXPECT_EQ(c.pair(0, z), PairKind::Physical);
    EXPECT_EQ(c.pair(z, 0), PairKind::Physical);
  }
  EXPECT_EQ(c.pair(1, 2), PairKind::Logical);
  EXPECT_EQ(c.pair(2, 1), PairKind::Logical);
  EXPECT_EQ(c.pair(1, 3), PairKind::Logical);
  EXPECT_EQ(c.pair(3, 2), PairKind::Logical);

  Policy logicalDefault = specZonesModel();
  logicalDefault.zones[0].level = Level::Internal;
  logicalDefault.defaultMode = IsolationMode::Logical;
  logicalDefault.pairs.resize(1);
  logicalDefault.pairs[0].mode = IsolationMode::Physical;  // extranet-portal
  const CompiledPolicy d = compilePolicy(logicalDefault);
  EXPECT_EQ(d.pair(0, 1), PairKind::Logical);
  EXPECT_EQ(d.pair(1, 2), PairKind::Physical);
  EXPECT_EQ(d.pair(2, 1), PairKind::Physical);
}

TEST(CompilerTest, RulesKeepOrderAndLowerEndpoints) {
  const Policy m = exampleModel();
  const CompiledPolicy c = compilePolicy(m);
  ASSERT_EQ(c.rules.size(), m.rules.size());
  for (size_t i = 0; i < c.rules.size(); ++i) {
    EXPECT_EQ(c.rules[i].id, i);
    EXPECT_EQ(c.rules[i].name, m.rules[i].name);
  }
  const CompiledRule& publish = c.rules[3];
  EXPECT_EQ(publish.name, "publish-content");
  EXPECT_EQ(publish.fromZone, 1);
  EXPECT_EQ(publish.toZone, 2);
  ASSERT_EQ(publish.src.size(), 2u);
  EXPECT_EQ(toString(publish.src[0]), "10.20.5.0/24");
  EXPECT_EQ(toString(publish.src[1]), "fd20:0:0:5::/64");
  ASSERT_EQ(publish.dst.size(), 2u);
  EXPECT_EQ(toString(publish.dst[0]), "172.16.30.10/32");
  EXPECT_EQ(publish.ref, "EX-2026-017");
  EXPECT_TRUE(publish.log);
  EXPECT_EQ(publish.where.line, 54);
  ASSERT_TRUE(publish.schedule.has_value());
  EXPECT_EQ(publish.schedule->days, 0x1f);
  EXPECT_EQ(publish.schedule->startMinute, 480);
  EXPECT_EQ(publish.schedule->endMinute, 1080);
  EXPECT_EQ(publish.action, Action::Allow);

  const CompiledRule& browse = c.rules[1];
  EXPECT_TRUE(browse.src.empty());  // the whole zone
  EXPECT_TRUE(browse.dst.empty());
  EXPECT_FALSE(browse.schedule.has_value());
  EXPECT_EQ(c.rules[0].action, Action::Deny);
}

TEST(CompilerTest, ServicesLowerToOneTermPerProtocolAndRange) {
  const CompiledPolicy c = compilePolicy(exampleModel());
  // web: tcp 80, 443, 8000-8099.
  EXPECT_EQ(c.rules[1].terms, (std::vector<MatchTerm>{{6, 6, 80, 80, 0, 255},
                                                       {6, 6, 443, 443, 0, 255},
                                                       {6, 6, 8000, 8099, 0, 255}}));
  // ping + errors: icmp 8, icmpv6 128, icmp 3 and 11-12 (consecutive types merge), icmpv6 1-4.
  EXPECT_EQ(c.rules[2].terms, (std::vector<MatchTerm>{{1, 1, 0, 65535, 8, 8},
                                                       {58, 58, 0, 65535, 128, 128},
                                                       {1, 1, 0, 65535, 3, 3},
                                                       {1, 1, 0, 65535, 11, 12},
                                                       {58, 58, 0, 65535, 1, 4}}));
  // Inline service of portal-backend.
  EXPECT_EQ(c.rules[6].terms, (std::vector<MatchTerm>{{6, 6, 5432, 5432, 0, 255},
                                                       {6, 6, 6379, 6379, 0, 255},
                                                       {17, 17, 514, 514, 0, 255}}));
  // No services: one term matching everything.
  ASSERT_EQ(c.rules[0].terms.size(), 1u);
  EXPECT_EQ(c.rules[0].terms[0], (MatchTerm{0, 255, 0, 65535, 0, 255}));
}

TEST(CompilerTest, RepeatedServicesGiveNoDuplicateTerms) {
  Policy m = exampleModel();
  m.rules[7].services.push_back({"dns", {}, {}});
  const CompiledPolicy c = compilePolicy(m);
  EXPECT_EQ(c.rules[7].terms, (std::vector<MatchTerm>{{17, 17, 53, 53, 0, 255}, {6, 6, 53, 53, 0, 255}}));
}

TEST(CompilerTest, TermMatchingByProtocolPortAndType) {
  const MatchTerm https{6, 6, 443, 443, 0, 255};
  PacketKey p;
  p.protocol = kProtoTcp;
  p.dport = 443;
  EXPECT_TRUE(termMatches(https, p));
  p.dport = 444;
  EXPECT_FALSE(termMatches(https, p));
  p.protocol = kProtoUdp;
  p.dport = 443;
  EXPECT_FALSE(termMatches(https, p));
  const MatchTerm echo{1, 1, 0, 65535, 8, 8};
  PacketKey ping;
  ping.protocol = kProtoIcmp;
  ping.icmpType = 8;
  EXPECT_TRUE(termMatches(echo, ping));
  ping.icmpType = 0;
  EXPECT_FALSE(termMatches(echo, ping));
  ping.icmpType = -1;  // no type: only an any-type term
  EXPECT_FALSE(termMatches(echo, ping));
  EXPECT_TRUE(termMatches(MatchTerm{}, ping));
  PacketKey gre;
  gre.protocol = 47;
  EXPECT_TRUE(termMatches(MatchTerm{}, gre));
  EXPECT_FALSE(termMatches(https, gre));
}

TEST(CompilerTest, CompiledExampleVerifiesClean) {
  Diagnostics diags;
  EXPECT_TRUE(verifyCompiled(compilePolicy(exampleModel()), diags));
  EXPECT_EQ(diags.all().size(), 0u);
}

TEST(CompilerTest, PathKindNames) {
  EXPECT_STREQ(pathKindName(PathKind::IntraZone), "intra-zone");
  EXPECT_STREQ(pathKindName(PathKind::Physical), "physical");
  EXPECT_STREQ(pathKindName(PathKind::Logical), "logical");
  EXPECT_STREQ(pathKindName(PathKind::Unzoned), "unzoned");
}

}  // namespace
}  // namespace isogate::policy
