// The connection limit of the gateway config (`flows: {max: N}`): loaded with its
// location, absent means "not configured", and every malformed form is one precise error.
#include <gtest/gtest.h>

#include <string>

#include "policy/gateway_config.h"

namespace isogate::policy {
namespace {

const std::string kHead = R"(version: 1
name: gw
policy: p.yaml
backend: nftables
interfaces:
  - {name: ext0, zone: extranet, address: [10.20.0.1/16]}
)";

std::string diagText(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.sorted()) out += formatDiagnostic(x) + "\n";
  return out;
}

std::string errorsOf(const std::string& tail) {
  Diagnostics d;
  loadGatewayConfigText(kHead + tail, "gw.yaml", d);
  return diagText(d);
}

TEST(GatewayConfigFlows, AbsentMeansNoLimit) {
  Diagnostics d;
  const GatewayConfig c = loadGatewayConfigText(kHead, "gw.yaml", d);
  ASSERT_EQ(diagText(d), "");
  EXPECT_EQ(c.flows.max, 0u);
}

TEST(GatewayConfigFlows, MaxIsLoadedWithItsLocation) {
  Diagnostics d;
  const GatewayConfig c = loadGatewayConfigText(kHead + "flows:\n  max: 8\n", "gw.yaml", d);
  ASSERT_EQ(diagText(d), "");
  EXPECT_EQ(c.flows.max, 8u);
  EXPECT_EQ(c.flows.where.line, 8);
  EXPECT_EQ(c.flows.where.column, 8);
}

TEST(GatewayConfigFlows, TheBoundsAreAccepted) {
  Diagnostics d;
  EXPECT_EQ(loadGatewayConfigText(kHead + "flows: {max: 1}\n", "gw.yaml", d).flows.max, 1u);
  EXPECT_EQ(loadGatewayConfigText(kHead + "flows: {max: 67108864}\n", "gw.yaml", d).flows.max, 67108864u);
  EXPECT_EQ(diagText(d), "");
}

TEST(GatewayConfigFlows, OutOfRangeOrNotANumberIsAnErrorAtTheValue) {
  const std::string bound = "error: 'max' must be a whole number 1..67108864\n";
  EXPECT_EQ(errorsOf("flows: {max: 0}\n"), "gw.yaml:7:14: " + bound);
  EXPECT_EQ(errorsOf("flows: {max: 67108865}\n"), "gw.yaml:7:14: " + bound);
  EXPECT_EQ(errorsOf("flows: {max: -5}\n"), "gw.yaml:7:14: " + bound);
  EXPECT_EQ(errorsOf("flows: {max: 8k}\n"), "gw.yaml:7:14: " + bound);
  EXPECT_EQ(errorsOf("flows: {max: [8]}\n"), "gw.yaml:7:14: " + bound);
}

TEST(GatewayConfigFlows, ShapeErrors) {
  EXPECT_EQ(errorsOf("flows: 8\n"), "gw.yaml:7:8: error: 'flows' must be a mapping\n");
  EXPECT_EQ(errorsOf("flows: {}\n"), "gw.yaml:7:8: error: missing required key 'max' in 'flows'\n");
  EXPECT_EQ(errorsOf("flows: {max: 8, maximum: 9}\n"),
            "gw.yaml:7:17: error: unknown key 'maximum' in 'flows'\n");
  EXPECT_EQ(errorsOf("flow: {max: 8}\n"), "gw.yaml:7:1: error: unknown key 'flow'; did you mean 'flows'?\n");
  EXPECT_EQ(errorsOf("flows: {max: 8, max: 9}\n"),
            "gw.yaml:7:17: error: duplicate key 'max' in 'flows' (first at line 7)\n");
}

TEST(GatewayConfigFlows, ABadLimitLeavesNoLimit) {
  Diagnostics d;
  const GatewayConfig c = loadGatewayConfigText(kHead + "flows: {max: 0}\n", "gw.yaml", d);
  EXPECT_TRUE(d.hasErrors());
  EXPECT_EQ(c.flows.max, 0u);
}

}  // namespace
}  // namespace isogate::policy
