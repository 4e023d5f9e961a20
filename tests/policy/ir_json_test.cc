// The IR's JSON form: field names, a lossless round trip, and precise errors
// for malformed input.
#include "policy/ir_json.h"

#include <gtest/gtest.h>

#include <functional>

#include "policy/compiler.h"
#include "tests/policy/example_model.h"

namespace isogate::policy {
namespace {

CompiledPolicy example() {
  CompiledPolicy c = compilePolicy(testing::exampleModel());
  c.digest = computeDigest(c);
  return c;
}

void expectSame(const CompiledPolicy& a, const CompiledPolicy& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.sourceFile, b.sourceFile);
  EXPECT_EQ(a.digest, b.digest);
  ASSERT_EQ(a.zones.size(), b.zones.size());
  for (size_t i = 0; i < a.zones.size(); ++i) {
    EXPECT_EQ(a.zones[i].name, b.zones[i].name);
    EXPECT_EQ(a.zones[i].level, b.zones[i].level);
    EXPECT_EQ(a.zones[i].isAny, b.zones[i].isAny);
    EXPECT_EQ(a.zones[i].intraZoneAllow, b.zones[i].intraZoneAllow);
  }
  EXPECT_EQ(a.anyZone, b.anyZone);
  auto sameTable = [](const std::vector<ZonePrefix>& x, const std::vector<ZonePrefix>& y) {
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].prefix, y[i].prefix);
      EXPECT_EQ(x[i].zone, y[i].zone);
    }
  };
  sameTable(a.prefixes4, b.prefixes4);
  sameTable(a.prefixes6, b.prefixes6);
  EXPECT_EQ(a.matrix, b.matrix);
  ASSERT_EQ(a.rules.size(), b.rules.size());
  for (size_t i = 0; i < a.rules.size(); ++i) {
    const CompiledRule &x = a.rules[i], &y = b.rules[i];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.ref, y.ref);
    EXPECT_EQ(x.where.file, y.where.file);
    EXPECT_EQ(x.where.line, y.where.line);
    EXPECT_EQ(x.where.column, y.where.column);
    EXPECT_EQ(x.fromZone, y.fromZone);
    EXPECT_EQ(x.toZone, y.toZone);
    EXPECT_EQ(x.src, y.src);
    EXPECT_EQ(x.dst, y.dst);
    EXPECT_EQ(x.terms, y.terms);
    EXPECT_EQ(x.action, y.action);
    EXPECT_EQ(x.log, y.log);
    EXPECT_EQ(x.schedule, y.schedule);
  }
}

TEST(IrJsonTest, DocumentedFieldNames) {
  const nlohmann::json j = irToJson(example());
  EXPECT_EQ(j["format"], "isogate-ir/1");
  EXPECT_EQ(j["name"], "tianjin-egov-boundary");
  EXPECT_EQ(j["zones"][0], (nlohmann::json{{"id", 0},
                                           {"name", "intranet"},
                                           {"level", "classified"},
                                           {"any", false},
                                           {"intra_zone", "allow"}}));
  EXPECT_EQ(j["any_zone"], "internet");
  EXPECT_EQ(j["prefixes"]["v4"][0], (nlohmann::json{{"prefix", "10.10.0.0/16"}, {"zone", "intranet"}}));
  EXPECT_EQ(j["prefixes"]["v6"][0], (nlohmann::json{{"prefix", "2001:db8:30::/48"}, {"zone", "portal"}}));
  EXPECT_EQ(j["matrix"].size(), 16u);
  EXPECT_EQ(j["matrix"][1], (nlohmann::json{{"from", "intranet"}, {"to", "extranet"}, {"mode", "physical"}}));
  EXPECT_EQ(j["matrix"][6], (nlohmann::json{{"from", "extranet"}, {"to", "portal"}, {"mode", "logical"}}));
  EXPECT_EQ(j["matrix"][0]["mode"], "intra-zone");
  const nlohmann::json& publish = j["rules"][3];
  EXPECT_EQ(publish, nlohmann::json::parse(R"({
    "id": 3, "name": "publish-content", "ref": "EX-2026-017", "location": "model.yaml:54:5",
    "from": "extranet", "to": "portal",
    "src": ["10.20.5.0/24", "fd20:0:0:5::/64"], "dst": ["172.16.30.10/32", "2001:db8:30::10/128"],
    "terms": [{"proto": [6, 6], "port": [22, 22], "icmp": [0, 255]}],
    "action": "allow", "log": true,
    "schedule": {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": "08:00-18:00"}})"));
  EXPECT_EQ(j["rules"][0]["schedule"], nullptr);
  EXPECT_EQ(j["rules"][4]["schedule"]["hours"], "22:00-06:00");
  EXPECT_EQ(j["digest"].get<std::string>().substr(0, 7), "sha256:");
}

TEST(IrJsonTest, RoundTripIsLossless) {
  const CompiledPolicy c = example();
  std::string error;
  const auto back = irFromJson(irToJson(c), &error);
  ASSERT_TRUE(back.has_value()) << error;
  expectSame(c, *back);
  EXPECT_EQ(computeDigest(*back), c.digest);
  // And through text.
  const auto again = irFromJson(nlohmann::json::parse(irToJson(*back).dump(2)), &error);
  ASSERT_TRUE(again.has_value()) << error;
  expectSame(c, *again);
}

TEST(IrJsonTest, RoundTripKeepsWholeDayScheduleAndNoCatchAll) {
  Policy m = testing::exampleModel();
  m.zones.pop_back();  // no internet: no catch-all
  m.pairs.resize(1);
  std::vector<Rule> kept;
  for (const Rule& r : m.rules)
    if (r.from.zone != "internet" && r.to.zone != "internet") kept.push_back(r);
  kept[0].schedule = testing::schedule(0x40, 0, 1440);
  m.rules = kept;
  const CompiledPolicy c = compilePolicy(m);
  const nlohmann::json j = irToJson(c);
  EXPECT_EQ(j["any_zone"], nullptr);
  EXPECT_EQ(j["rules"][0]["schedule"], (nlohmann::json{{"days", {"sun"}}, {"hours", "00:00-24:00"}}));
  std::string error;
  const auto back = irFromJson(j, &error);
  ASSERT_TRUE(back.has_value()) << error;
  expectSame(c, *back);
}

std::string errorFor(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = irToJson(example());
  edit(j);
  std::string error;
  EXPECT_FALSE(irFromJson(j, &error).has_value());
  return error;
}

TEST(IrJsonTest, MalformedInputGivesPathAndReason) {
  EXPECT_EQ(errorFor([](auto& j) { j["format"] = "isogate-ir/0"; }), "format: expected \"isogate-ir/1\"");
  EXPECT_EQ(errorFor([](auto& j) { j.erase("rules"); }), "rules: missing");
  EXPECT_EQ(errorFor([](auto& j) { j["rules"][2]["terms"][0]["port"] = {1, 70000}; }),
            "rules[2].terms[0].port: expected an integer in 0..65535");
  EXPECT_EQ(errorFor([](auto& j) { j["rules"][2]["terms"][0]["proto"] = {6}; }),
            "rules[2].terms[0].proto: expected [first, last] in 0..255");
  EXPECT_EQ(errorFor([](auto& j) { j["rules"][1]["from"] = "dmz"; }), "rules[1].from: no zone named 'dmz'");
  EXPECT_EQ(errorFor([](auto& j) { j["rules"][1]["src"] = {"10.20.1.5/16"}; }),
            "rules[1].src[0]: host bits set; did you mean 10.20.0.0/16?");
  EXPECT_EQ(errorFor([](auto& j) { j["rules"][1]["location"] = "nowhere"; }),
            "rules[1].location: expected FILE:LINE:COLUMN");
  EXPECT_EQ(errorFor([](auto& j) { j["rules"][3]["schedule"]["hours"] = "08:00-25:00"; }),
            "rules[3].schedule.hours: expected HH:MM-HH:MM");
  EXPECT_EQ(errorFor([](auto& j) { j["matrix"].erase(5); }), "matrix: lacks extranet -> extranet");
  EXPECT_EQ(errorFor([](auto& j) { j["matrix"][5]["mode"] = "open"; }),
            "matrix[5].mode: expected intra-zone, physical or logical");
  EXPECT_EQ(errorFor([](auto& j) { j["zones"][1]["level"] = "secret"; }),
            "zones[1].level: expected public, internal or classified");
  EXPECT_EQ(errorFor([](auto& j) { j["rules"][0]["action"] = "accept"; }),
            "rules[0].action: expected allow or deny");
  EXPECT_EQ(errorFor([](auto& j) { j = nlohmann::json::array(); }), "expected an object");
}

TEST(IrJsonTest, LocationWithColonsInFileName) {
  CompiledPolicy c = example();
  c.rules[0].where = {"C:/policies/a:b.yaml", 12, 3};
  std::string error;
  const auto back = irFromJson(irToJson(c), &error);
  ASSERT_TRUE(back.has_value()) << error;
  EXPECT_EQ(back->rules[0].where.file, "C:/policies/a:b.yaml");
  EXPECT_EQ(back->rules[0].where.line, 12);
  EXPECT_EQ(back->rules[0].where.column, 3);
}

}  // namespace
}  // namespace isogate::policy
