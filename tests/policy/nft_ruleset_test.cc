#include "policy/nft_ruleset.h"

#include <gtest/gtest.h>

#include "policy/nft_schedule.h"
#include "tests/policy/nft_test_policies.h"

namespace isogate::policy {
namespace {

using testing::pfx;
using testing::smallPolicy;

const NftChain& chain(const NftRuleset& rs, const std::string& name) {
  const NftChain* c = rs.findChain(name);
  if (!c) throw std::runtime_error("no chain " + name);
  return *c;
}

NftMatch value(NftField f, U128 first, U128 last) {
  NftMatch m;
  m.field = f;
  m.values = {{first, last}};
  return m;
}

NftMatch ct(uint32_t mask) {
  NftMatch m;
  m.field = NftField::CtState;
  m.mask = mask;
  return m;
}

NftBuildOptions withInterfaces() {
  NftBuildOptions o;
  o.interfaces = {{"ext0", 1, false}, {"prt0", 2, false}, {"tap0", 0, true}};
  return o;
}

TEST(NftRuleset, ForwardChainIsFailClosedStatefulThenDispatches) {
  const auto rs = buildNftRuleset(smallPolicy());
  const auto& fwd = chain(rs, "forward");
  ASSERT_TRUE(fwd.base);
  EXPECT_EQ(fwd.base->hook, NftHook::Forward);
  EXPECT_TRUE(fwd.base->policyDrop);
  ASSERT_EQ(fwd.rules.size(), 5u);
  EXPECT_EQ(fwd.rules[0].matches, std::vector<NftMatch>{ct(kCtEstablished | kCtRelated)});
  EXPECT_EQ(fwd.rules[0].verdict.kind, NftVerdictKind::Accept);
  EXPECT_EQ(fwd.rules[1].matches, std::vector<NftMatch>{ct(kCtInvalid)});
  EXPECT_EQ(fwd.rules[1].log, (NftLog{kNflogMalformed, "isogate:malformed:-:"}));
  EXPECT_EQ(fwd.rules[1].verdict.kind, NftVerdictKind::Drop);
  ASSERT_TRUE(fwd.rules[2].vmap);
  EXPECT_EQ(*fwd.rules[2].vmap, (NftVmap{NftField::Saddr4, "src_zone_v4"}));
  EXPECT_EQ(fwd.rules[2].matches, std::vector<NftMatch>{value(NftField::NfProto, 2, 2)});
  EXPECT_EQ(*fwd.rules[3].vmap, (NftVmap{NftField::Saddr6, "src_zone_v6"}));
  EXPECT_EQ(fwd.rules[4].verdict.kind, NftVerdictKind::Drop);
  EXPECT_EQ(fwd.rules[4].log->prefix, "isogate:logical-isolation:-:unzoned");
}

TEST(NftRuleset, SourceMapCoversEveryAddressWithTheAnyZoneInTheGaps) {
  const auto rs = buildNftRuleset(smallPolicy());
  const NftSet* m = rs.findSet("src_zone_v4");
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->isMap);
  ASSERT_EQ(m->elements.size(), 7u);
  U128 next = 0;
  for (const auto& e : m->elements) {
    EXPECT_EQ(e.key.first, next);
    next = e.key.last + 1;
  }
  EXPECT_EQ(next, U128{1} << 32);
  EXPECT_EQ(m->elements[0].verdict, (NftVerdict{NftVerdictKind::Jump, "from_internet"}));
  EXPECT_EQ(m->elements[1].key, (NftInterval{pfx("10.10.0.0/16").first(), pfx("10.10.0.0/16").last()}));
  EXPECT_EQ(m->elements[1].verdict, (NftVerdict{NftVerdictKind::Jump, "from_intranet"}));
  EXPECT_EQ(m->elements[3].verdict, (NftVerdict{NftVerdictKind::Jump, "from_extranet"}));
  const NftSet* d = rs.findSet("dst_from_extranet_v6");
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->elements.size(), 5u);  // any, fd10::/48, any, fd20::/48, any
  EXPECT_EQ(d->elements[1].verdict.chain, "pair_extranet_intranet");
  EXPECT_EQ(d->elements[3].verdict.chain, "pair_extranet_extranet");
  EXPECT_EQ(d->elements[4].verdict.chain, "pair_extranet_internet");
  EXPECT_EQ(d->elements[4].key.last, ~U128{0});
  const NftSet* z = rs.findSet("zone_internet_v4");
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->elements.size(), 4u);
}

TEST(NftRuleset, PhysicalPairChainOnlyCountsLogsAndDrops) {
  const auto rs = buildNftRuleset(smallPolicy());
  const auto& c = chain(rs, "pair_intranet_extranet");
  ASSERT_EQ(c.rules.size(), 2u);
  EXPECT_EQ(c.rules[0].counter, "pair_intranet_extranet");
  EXPECT_EQ(c.rules[0].verdict.kind, NftVerdictKind::None);
  EXPECT_EQ(c.rules[1].log, (NftLog{kNflogPhysicalIsolation, "isogate:physical-isolation:-:intranet>extranet"}));
  EXPECT_EQ(c.rules[1].verdict.kind, NftVerdictKind::Drop);
  EXPECT_TRUE(c.rules[1].matches.empty());
}

TEST(NftRuleset, LogicalPairChainHoldsItsRulesInOrderThenDefaultDeny) {
  const auto rs = buildNftRuleset(smallPolicy());
  const auto& c = chain(rs, "pair_internet_portal");
  ASSERT_EQ(c.rules.size(), 5u);
  const auto& allow = c.rules[1];
  EXPECT_EQ(allow.matches, (std::vector<NftMatch>{ct(kCtNew), value(NftField::L4Proto, 6, 6),
                                                  value(NftField::ThDport, 443, 443)}));
  EXPECT_EQ(allow.counter, "rule_citizens-browse-portal");
  EXPECT_FALSE(allow.log);
  EXPECT_EQ(allow.verdict.kind, NftVerdictKind::Accept);
  EXPECT_EQ(allow.comment, "citizens-browse-portal");
  const auto& deny4 = c.rules[2];
  EXPECT_EQ(deny4.matches, (std::vector<NftMatch>{value(NftField::L4Proto, 1, 1), value(NftField::IcmpType, 8, 8)}));
  EXPECT_EQ(deny4.log, (NftLog{kNflogLogicalIsolation, "isogate:logical-isolation:5:no-portal-ping"}));
  EXPECT_EQ(deny4.verdict.kind, NftVerdictKind::Drop);
  EXPECT_EQ(c.rules[3].matches,
            (std::vector<NftMatch>{value(NftField::L4Proto, 58, 58), value(NftField::Icmpv6Type, 128, 128)}));
  EXPECT_EQ(c.rules[4].log, (NftLog{kNflogLogicalIsolation, "isogate:logical-isolation:-:internet>portal"}));
  EXPECT_TRUE(c.rules[4].matches.empty());
}

TEST(NftRuleset, IntraZoneChainHasSameZoneRulesThenTheSetting) {
  const auto rs = buildNftRuleset(smallPolicy());
  const auto& ext = chain(rs, "pair_extranet_extranet");  // intra_zone: deny
  ASSERT_EQ(ext.rules.size(), 3u);
  EXPECT_EQ(ext.rules[1].comment, "extranet-internal-ssh");
  EXPECT_EQ(ext.rules[2].verdict.kind, NftVerdictKind::Drop);
  EXPECT_EQ(ext.rules[2].comment, "intra_zone: deny");
  const auto& portal = chain(rs, "pair_portal_portal");
  ASSERT_EQ(portal.rules.size(), 3u);
  EXPECT_EQ(portal.rules[1].verdict.kind, NftVerdictKind::Accept);
  EXPECT_EQ(portal.rules[1].matches, std::vector<NftMatch>{ct(kCtNew)});
}

TEST(NftRuleset, RuleAddressesSplitByFamily) {
  const auto rs = buildNftRuleset(smallPolicy());
  const auto& c = chain(rs, "pair_extranet_internet");
  std::vector<const NftRule*> mirror, backup;
  for (const auto& r : c.rules) {
    if (r.comment == "v6-mirror") mirror.push_back(&r);
    if (r.comment == "night-backup") backup.push_back(&r);
  }
  ASSERT_EQ(mirror.size(), 2u);  // only IPv6 source networks: no IPv4 rule; one rule per network
  const auto& m = mirror[0]->matches;
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[1], value(NftField::NfProto, 10, 10));
  EXPECT_EQ(m[2].field, NftField::Saddr6);
  EXPECT_EQ(m[2].values.size(), 1u);
  EXPECT_EQ(mirror[1]->matches[2].values[0].first, pfx("fd20:0:0:7::/64").first());
  ASSERT_EQ(backup.size(), 4u);       // 2 families x 2 schedule pieces
  const auto& portal = chain(rs, "pair_extranet_portal");
  ASSERT_EQ(portal.rules.size(), 4u);
  EXPECT_EQ(portal.rules[2].comment, "agencies-to-portal");
  EXPECT_EQ(portal.rules[2].matches[2].values.size(), 20u);  // more than 16 networks: one anonymous set
  EXPECT_EQ(backup[0]->matches[2].field, NftField::Daddr4);
  EXPECT_EQ(backup[2]->matches[2].field, NftField::Daddr6);
}

TEST(NftRuleset, SchedulesBecomeKernelDayAndUtcHourMatches) {
  const auto p = smallPolicy();
  const auto& publish = p.rules[1].schedule;
  NftBuildOptions utc;
  EXPECT_EQ(schedulePieces(publish, utc),
            (std::vector<NftTimePiece>{{std::pair<uint8_t, uint8_t>{1, 5}, std::pair<uint32_t, uint32_t>{28800, 64799}}}));
  NftBuildOptions beijing;
  beijing.utcOffsetMinutes = 480;  // 08:00 local = 00:00 UTC
  EXPECT_EQ(schedulePieces(publish, beijing),
            (std::vector<NftTimePiece>{{std::pair<uint8_t, uint8_t>{1, 5}, std::pair<uint32_t, uint32_t>{0, 35999}}}));
  NftBuildOptions newYork;
  newYork.utcOffsetMinutes = -300;  // 08:00-18:00 local = 13:00-23:00 UTC
  EXPECT_EQ(schedulePieces(publish, newYork),
            (std::vector<NftTimePiece>{{std::pair<uint8_t, uint8_t>{1, 5}, std::pair<uint32_t, uint32_t>{46800, 82799}}}));
  // Monday 22:00 to Tuesday 06:00 belongs to Monday; kernel days: 1 = monday.
  EXPECT_EQ(schedulePieces(p.rules[4].schedule, utc),
            (std::vector<NftTimePiece>{{std::pair<uint8_t, uint8_t>{2, 2}, std::pair<uint32_t, uint32_t>{0, 21599}},
                                       {std::pair<uint8_t, uint8_t>{1, 1}, std::pair<uint32_t, uint32_t>{79200, 86399}}}));
  // Beijing friday 08:00-18:00 crosses nothing, but a sunday 02:00-04:00 in
  // Beijing is saturday 18:00-20:00 UTC.
  EXPECT_EQ(schedulePieces(Schedule{0x40, 120, 240, {}}, beijing),
            (std::vector<NftTimePiece>{{std::pair<uint8_t, uint8_t>{6, 6}, std::pair<uint32_t, uint32_t>{64800, 71999}}}));
  // Every day, all day: no time match at all.
  EXPECT_EQ(schedulePieces(Schedule{0x7f, 0, 1440, {}}, beijing), (std::vector<NftTimePiece>{{}}));
  EXPECT_EQ(schedulePieces(std::nullopt, beijing), (std::vector<NftTimePiece>{{}}));
}

TEST(NftRuleset, ScheduledRuleCarriesDayAndHour) {
  const auto rs = buildNftRuleset(smallPolicy());
  const auto& c = chain(rs, "pair_extranet_portal");
  ASSERT_EQ(c.rules.size(), 4u);
  const auto& r = c.rules[1];
  EXPECT_EQ(r.comment, "publish-content");
  ASSERT_EQ(r.matches.size(), 8u);
  EXPECT_EQ(r.matches[0], ct(kCtNew));
  EXPECT_EQ(r.matches[2].values, (std::vector<NftInterval>{{pfx("10.20.5.0/24").first(), pfx("10.20.5.0/24").last()}}));
  EXPECT_EQ(r.matches[6], value(NftField::MetaDay, 1, 5));
  EXPECT_EQ(r.matches[7], value(NftField::MetaHour, 28800, 64799));
  EXPECT_EQ(r.log, (NftLog{kNflogFlowAllowed, "isogate:flow-allowed:1:publish-content"}));
}

TEST(NftRuleset, MonitorInterfacesNeverForwardAndAreChecked) {
  const auto rs = buildNftRuleset(smallPolicy(), withInterfaces());
  const auto& fwd = chain(rs, "forward");
  ASSERT_GE(fwd.rules.size(), 8u);
  EXPECT_EQ(fwd.rules[0].matches[0].text, "tap0");
  EXPECT_EQ(fwd.rules[0].matches[2].setName, "breach_intranet_v4");
  EXPECT_EQ(fwd.rules[0].log->group, kNflogIsolationBreach);
  EXPECT_EQ(fwd.rules[1].matches[2].setName, "breach_intranet_v6");
  EXPECT_EQ(fwd.rules[2].matches.size(), 1u);
  EXPECT_EQ(fwd.rules[2].verdict.kind, NftVerdictKind::Drop);
  EXPECT_EQ(fwd.rules[3].matches[0].field, NftField::OifName);
  EXPECT_EQ(fwd.rules[3].verdict.kind, NftVerdictKind::Drop);
  // Anti-spoofing of forwarding interfaces comes before the stateful accept.
  EXPECT_EQ(fwd.rules[4].matches[0].text, "ext0");
  EXPECT_TRUE(fwd.rules[4].matches[2].negate);
  EXPECT_EQ(fwd.rules[4].matches[2].setName, "zone_extranet_v4");
  EXPECT_EQ(fwd.rules[4].verdict, (NftVerdict{NftVerdictKind::Jump, "spoof_extranet"}));
  EXPECT_EQ(fwd.rules[8].matches[0], ct(kCtEstablished | kCtRelated));
  const auto& out = chain(rs, "output");
  ASSERT_EQ(out.rules.size(), 1u);
  EXPECT_EQ(out.rules[0].matches[0].text, "tap0");
  EXPECT_EQ(chain(rs, "input").rules[2].verdict.kind, NftVerdictKind::Drop);  // monitor before loopback
  const auto& spoof = chain(rs, "spoof_extranet");
  ASSERT_EQ(spoof.rules.size(), 3u);
  EXPECT_EQ(spoof.rules[0].log->group, kNflogIsolationBreach);
  EXPECT_EQ(spoof.rules[2].log->group, kNflogSpoofedSource);
  EXPECT_EQ(rs.findChain("spoof_intranet"), nullptr);  // monitor only: no forwarding
  const NftSet* breach = rs.findSet("breach_extranet_v4");
  ASSERT_NE(breach, nullptr);
  ASSERT_EQ(breach->elements.size(), 1u);  // only intranet is physical to extranet
  EXPECT_EQ(breach->elements[0].key.first, pfx("10.10.0.0/16").first());
  EXPECT_EQ(rs.findSet("breach_intranet_v4")->elements.size(), 6u);
}

TEST(NftRuleset, CountersPerRuleAndPerZonePair) {
  const auto p = smallPolicy();
  const auto rs = buildNftRuleset(p);
  auto has = [&](const std::string& n) {
    for (const auto& c : rs.counters)
      if (c.name == n) return true;
    return false;
  };
  for (const auto& r : p.rules) EXPECT_TRUE(has("rule_" + r.name)) << r.name;
  EXPECT_TRUE(has("pair_extranet_portal"));
  EXPECT_TRUE(has("pair_intranet_intranet"));
  EXPECT_EQ(rs.counters.size(), p.rules.size() + 16 + 5);
}

TEST(NftRuleset, LogPrefixIsCutTo127Bytes) {
  EXPECT_EQ(nftLogPrefix("flow-allowed", 7, "a\"b"), "isogate:flow-allowed:7:a_b");
  const auto p = nftLogPrefix("logical-isolation", 123456, std::string(300, 'x'));
  EXPECT_EQ(p.size(), 127u);
  EXPECT_EQ(p.substr(0, 33), "isogate:logical-isolation:123456:");
}

TEST(NftRuleset, RuleCountMatchesTermsFamiliesAndPieces) {
  const auto p = smallPolicy();
  NftBuildOptions o;
  EXPECT_EQ(nftRulesForPolicyRule(p.rules[2], o), 2u);  // dns: udp + tcp
  EXPECT_EQ(nftRulesForPolicyRule(p.rules[3], o), 2u);  // v6 only, two networks
  EXPECT_EQ(nftRulesForPolicyRule(p.rules[8], o), 1u);  // twenty networks: one set
  EXPECT_EQ(nftRulesForPolicyRule(p.rules[4], o), 4u);
  MatchTerm mixed;  // protocols 0-255 with ports: tcp and udp get their own piece
  mixed.portFirst = mixed.portLast = 80;
  CompiledRule r;
  r.terms = {mixed};
  EXPECT_EQ(nftRulesForPolicyRule(r, o), 5u);  // 0-5, tcp:80, 7-16, udp:80, 18-255
}

TEST(NftRuleset, BigPolicyLowersEveryRule) {
  const auto p = testing::bigPolicy(20000);
  const auto rs = buildNftRuleset(p);
  size_t ruleRules = 0;
  for (const auto& c : rs.chains)
    for (const auto& r : c.rules) ruleRules += r.counter.rfind("rule_", 0) == 0;
  EXPECT_EQ(ruleRules, 20000u);
}

TEST(NftRuleset, LongPairChainIsCutIntoPartsKeepingRuleOrder) {
  const size_t n = 2 * kNftMaxRulesPerChain + 500;
  const auto rs = buildNftRuleset(testing::onePairPolicy(n));
  const auto& c = chain(rs, "pair_z1_z2");
  // counter, one jump per part, default deny
  ASSERT_EQ(c.rules.size(), 5u);
  std::vector<std::string> order;
  for (int part = 1; part <= 3; ++part) {
    const std::string name = "pair_z1_z2__" + std::to_string(part);
    EXPECT_EQ(c.rules[part].verdict, (NftVerdict{NftVerdictKind::Jump, name}));
    EXPECT_TRUE(c.rules[part].matches.empty());
    const auto& sub = chain(rs, name);
    EXPECT_FALSE(sub.base);
    EXPECT_EQ(sub.rules.size(), part < 3 ? kNftMaxRulesPerChain : 500u);
    for (const auto& r : sub.rules) order.push_back(r.comment);
  }
  ASSERT_EQ(order.size(), n);
  for (size_t k = 0; k < n; ++k) EXPECT_EQ(order[k], "r" + std::to_string(k));
  EXPECT_EQ(c.rules[4].log->group, kNflogLogicalIsolation);  // the default deny stays last
  // parts come after every pair chain, so the pair chains keep their place
  EXPECT_EQ(rs.chains.back().name, "pair_z1_z2__3");
}

TEST(NftRuleset, ChainAtTheLimitIsNotCut) {
  const auto rs = buildNftRuleset(testing::onePairPolicy(kNftMaxRulesPerChain));
  EXPECT_EQ(chain(rs, "pair_z1_z2").rules.size(), kNftMaxRulesPerChain + 2);
  EXPECT_EQ(rs.findChain("pair_z1_z2__1"), nullptr);
}

}  // namespace
}  // namespace isogate::policy
