// The verifier on corrupted IR: each corruption a compiler bug could produce must
// be caught with a precise message, whether made on the struct or fed through
// the IR's JSON form. A clean IR passes.
#include <gtest/gtest.h>

#include <functional>

#include "policy/compiler.h"
#include "policy/ir_json.h"
#include "tests/policy/example_model.h"

namespace isogate::policy {
namespace {

using testing::exampleModel;
using testing::pfx;

std::vector<std::string> errors(const CompiledPolicy& c) {
  Diagnostics diags;
  const bool ok = verifyCompiled(c, diags);
  std::vector<std::string> out;
  for (const auto& d : diags.all()) out.push_back(formatDiagnostic(d));
  EXPECT_EQ(ok, out.empty());
  return out;
}

CompiledPolicy clean() { return compilePolicy(exampleModel()); }

// Round trip through JSON after `edit`, so corruption arrives the way tools feed it.
CompiledPolicy viaJson(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = irToJson(clean());
  edit(j);
  std::string error;
  auto c = irFromJson(j, &error);
  EXPECT_TRUE(c.has_value()) << error;
  return c ? *c : CompiledPolicy{};
}

nlohmann::json& ruleNamed(nlohmann::json& j, const std::string& name) {
  for (auto& r : j["rules"])
    if (r["name"] == name) return r;
  throw std::runtime_error("no rule " + name);
}

TEST(VerifierTest, CleanIrPasses) {
  EXPECT_EQ(errors(clean()), std::vector<std::string>{});
  EXPECT_EQ(errors(viaJson([](nlohmann::json&) {})), std::vector<std::string>{});
}

TEST(VerifierTest, RuleFlippedIntoPhysicalPair) {
  const CompiledPolicy c = viaJson([](nlohmann::json& j) { ruleNamed(j, "publish-content")["to"] = "intranet"; });
  EXPECT_EQ(errors(c), std::vector<std::string>{
                           "model.yaml:54:5: error: rule 'publish-content' allows traffic between physically isolated "
                           "zones extranet and intranet"});
}

TEST(VerifierTest, SourcePrefixReachingClassifiedZone) {
  // The rule still says extranet -> portal, but one source prefix lies in the intranet.
  CompiledPolicy c = clean();
  c.rules[3].src.push_back(pfx("10.10.7.0/24"));
  EXPECT_EQ(errors(c), std::vector<std::string>{
                           "model.yaml:54:5: error: rule 'publish-content' can match traffic from zone intranet to "
                           "zone portal, which are physically isolated (its addresses reach beyond extranet -> "
                           "portal)"});
}

TEST(VerifierTest, WidePrefixReachesEveryZoneItCovers) {
  // 10.0.0.0/8 covers intranet and extranet networks and catch-all addresses.
  const CompiledPolicy c = viaJson([](nlohmann::json& j) {
    ruleNamed(j, "extranet-dns-out")["dst"] = nlohmann::json::array({"10.0.0.0/8"});
  });
  EXPECT_EQ(errors(c), std::vector<std::string>{
                           "model.yaml:80:5: error: rule 'extranet-dns-out' can match traffic from zone extranet to "
                           "zone intranet, which are physically isolated (its addresses reach beyond extranet -> "
                           "internet)"});
}

TEST(VerifierTest, CatchAllReachedThroughGapsBetweenTableEntries) {
  // An intra-zone rule of the intranet whose destination spills past the intranet's
  // networks: the spill is in no table, so it is the catch-all (internet), which is
  // physically isolated from the intranet.
  CompiledPolicy c = clean();
  c.rules[10].fromZone = 0;
  c.rules[10].toZone = 0;
  c.rules[10].src = {};
  c.rules[10].dst = {pfx("10.10.0.0/16"), pfx("fd10::/48")};
  EXPECT_EQ(errors(c), std::vector<std::string>{});
  c.rules[10].dst = {pfx("fd10::/47")};
  EXPECT_EQ(errors(c), std::vector<std::string>{
                           "model.yaml:95:5: error: rule 'portal-intra-web' can match traffic from zone intranet to "
                           "zone internet, which are physically isolated (its addresses reach beyond intranet -> "
                           "intranet)"});
  c.rules[10].dst = {pfx("10.10.0.0/15")};
  EXPECT_EQ(errors(c).size(), 1u);
}

TEST(VerifierTest, DenyRulesMayNameAnything) {
  CompiledPolicy c = clean();
  c.rules[0].dst = {pfx("0.0.0.0/0")};
  EXPECT_EQ(errors(c), std::vector<std::string>{});
}

TEST(VerifierTest, AsymmetricMatrix) {
  const CompiledPolicy c = viaJson([](nlohmann::json& j) {
    for (auto& m : j["matrix"])
      if (m["from"] == "portal" && m["to"] == "extranet") m["mode"] = "physical";
  });
  EXPECT_EQ(errors(c), (std::vector<std::string>{
                           "model.yaml: error: isolation matrix is not symmetric: extranet -> portal is logical but "
                           "portal -> extranet is physical",
                           // The asymmetry counts as physical both ways, so the extranet -> portal rules fail too.
                           "model.yaml:54:5: error: rule 'publish-content' allows traffic between physically "
                           "isolated zones extranet and portal",
                           "model.yaml:63:5: error: rule 'night-sync' allows traffic between physically isolated "
                           "zones extranet and portal",
                           "model.yaml:74:5: error: rule 'portal-backend' allows traffic between physically isolated "
                           "zones portal and extranet"}));
}

TEST(VerifierTest, IntraOffTheDiagonalAndNotOnIt) {
  CompiledPolicy c = clean();
  c.matrix[0 * 4 + 3] = PairKind::Intra;
  c.matrix[3 * 4 + 0] = PairKind::Intra;
  c.matrix[2 * 4 + 2] = PairKind::Logical;
  EXPECT_EQ(errors(c), (std::vector<std::string>{
                           "model.yaml: error: isolation matrix: distinct zones 'intranet' and 'internet' are marked "
                           "intra-zone",
                           "model.yaml: error: isolation matrix: zone 'portal' with itself is logical, expected "
                           "intra-zone",
                           "model.yaml: error: isolation matrix: distinct zones 'internet' and 'intranet' are marked "
                           "intra-zone"}));
}

TEST(VerifierTest, ClassifiedZoneInLogicalPair) {
  const CompiledPolicy c = viaJson([](nlohmann::json& j) {
    for (auto& m : j["matrix"])
      if ((m["from"] == "intranet" && m["to"] == "extranet") || (m["from"] == "extranet" && m["to"] == "intranet"))
        m["mode"] = "logical";
  });
  EXPECT_EQ(errors(c), std::vector<std::string>{
                           "model.yaml: error: classified zone 'intranet' is in a logical pair (intranet, extranet)"});
}

TEST(VerifierTest, OverlappingPrefixTable) {
  const CompiledPolicy c = viaJson([](nlohmann::json& j) {
    j["prefixes"]["v4"].insert(j["prefixes"]["v4"].begin() + 2,
                               nlohmann::json::object({{"prefix", "10.21.128.0/17"}, {"zone", "portal"}}));
  });
  EXPECT_EQ(errors(c), std::vector<std::string>{
                           "model.yaml: error: IPv4 prefix table: 10.20.0.0/15 (extranet) overlaps 10.21.128.0/17 "
                           "(portal)"});
}

TEST(VerifierTest, UnsortedPrefixTable) {
  CompiledPolicy c = clean();
  std::swap(c.prefixes6[0], c.prefixes6[2]);
  EXPECT_EQ(errors(c), (std::vector<std::string>{
                           "model.yaml: error: IPv6 prefix table: fd10::/48 is out of order after fd20::/48",
                           "model.yaml: error: IPv6 prefix table: 2001:db8:30::/48 is out of order after "
                           "fd10::/48"}));
}

TEST(VerifierTest, PrefixNamingNonexistentZone) {
  const CompiledPolicy c = viaJson([](nlohmann::json& j) { j["prefixes"]["v4"][1]["zone"] = 9; });
  EXPECT_EQ(errors(c), std::vector<std::string>{
                           "model.yaml: error: IPv4 prefix table: 10.20.0.0/15 names zone id 9, which does not "
                           "exist"});
}

TEST(VerifierTest, RuleNamingNonexistentZone) {
  const CompiledPolicy c = viaJson([](nlohmann::json& j) { ruleNamed(j, "ping-portal")["from"] = 12; });
  EXPECT_EQ(errors(c), std::vector<std::string>{
                           "model.yaml:49:5: error: rule 'ping-portal' names zone id 12, which does not exist"});
}

TEST(VerifierTest, RuleOrderAndEmptyTerms) {
  CompiledPolicy c = clean();
  std::swap(c.rules[1], c.rules[2]);
  c.rules[4].terms.clear();
  c.rules[5].terms[0].portFirst = 100;
  c.rules[5].terms[0].portLast = 99;
  EXPECT_EQ(errors(c), (std::vector<std::string>{
                           "model.yaml:49:5: error: rule 'ping-portal' has id 2 at position 1; rule order decides "
                           "the first match",
                           "model.yaml:44:5: error: rule 'citizens-browse-portal' has id 1 at position 2; rule "
                           "order decides the first match",
                           "model.yaml:63:5: error: rule 'night-sync' has no match terms",
                           "model.yaml:69:5: error: rule 'no-portal-to-extranet-ssh' has an empty match range"}));
}

TEST(VerifierTest, MatrixOfWrongSizeStopsEarly) {
  CompiledPolicy c = clean();
  c.matrix.pop_back();
  EXPECT_EQ(errors(c), std::vector<std::string>{"model.yaml: error: isolation matrix has 15 entries, expected 16"});
}

TEST(VerifierTest, CatchAllIdMismatch) {
  CompiledPolicy c = clean();
  c.anyZone = 2;
  EXPECT_EQ(errors(c), (std::vector<std::string>{
                           "model.yaml: error: zone 'portal' is not marked catch-all, but the catch-all zone id says "
                           "otherwise",
                           "model.yaml: error: zone 'internet' is marked catch-all, but the catch-all zone id says "
                           "otherwise"}));
}

}  // namespace
}  // namespace isogate::policy
