#include "policy/graph.h"

#include <gtest/gtest.h>

#include "policy/pipeline.h"
#include "tests/policy/policy_fixture.h"

namespace isogate::policy {
namespace {

const std::string kPolicy =
    testing::policyText({R"(version: 1
name: graph-test
zones:
  intranet:
    level: classified
    networks: [10.10.0.0/16]
)",
                         testing::kExtranetZone, testing::kPortalZone, "    intra_zone: deny\n",
                         testing::logicalPairs({{"extranet", "portal"}}), R"(services:
  https: {tcp: [443]}
  ssh: {tcp: [22]}
rules:
  - name: publish
    from: {zone: extranet, networks: [10.20.5.0/24]}
    to: portal
    services: [ssh, {tcp: [8443]}]
    action: allow
    schedule: {days: [mon, tue, wed, thu, fri], hours: "08:00-18:00"}
  - name: forms
    from: portal
    to: extranet
    services: [https]
    action: allow
  - name: no-back
    from: portal
    to: extranet
    action: deny
)"});

class GraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    build_ = buildPolicyText(kPolicy, "graph.yaml");
    ASSERT_TRUE(build_.ok());
  }
  PolicyBuild build_;
};

TEST_F(GraphTest, DotHasZonesPhysicalPairsAndFlows) {
  const std::string dot = policyToDot(build_.model);
  EXPECT_EQ(dot.rfind("digraph \"graph-test\" {\n", 0), 0u) << dot;
  EXPECT_NE(dot.find("  \"intranet\" [label=\"intranet\\nclassified\\n10.10.0.0/16\", "
                     "fillcolor=\"#f4cccc\"];\n"),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("\"portal\" [label=\"portal\\npublic\\n172.16.30.0/24\\nintra_zone: deny\""),
            std::string::npos);
  EXPECT_NE(
      dot.find("  \"intranet\" -> \"extranet\" [dir=none, color=red, fontcolor=red, style=dashed, "
               "label=\"physical\"];\n"),
      std::string::npos);
  EXPECT_NE(dot.find("  \"intranet\" -> \"portal\" [dir=none, color=red"), std::string::npos);
  // The logical pair is not drawn as physical.
  EXPECT_EQ(dot.find("\"extranet\" -> \"portal\" [dir=none"), std::string::npos);
  EXPECT_NE(
      dot.find("  \"extranet\" -> \"portal\" [color=\"#1c4587\", label=\"publish: ssh, tcp/8443 "
               "[mon-fri 08:00-18:00] (part)\"];\n"),
      std::string::npos)
      << dot;
  EXPECT_NE(dot.find("  \"portal\" -> \"extranet\" [color=\"#1c4587\", label=\"forms: https\"];\n"),
            std::string::npos);
  EXPECT_EQ(dot.find("no-back"), std::string::npos);  // deny rules are not flows
}

TEST_F(GraphTest, SvgRendersThroughGraphviz) {
  std::string error;
  const auto svg = dotToSvg(policyToDot(build_.model), &error);
  ASSERT_TRUE(svg) << error;
  EXPECT_NE(svg->find("<svg"), std::string::npos);
  EXPECT_NE(svg->find("intranet"), std::string::npos);
  EXPECT_NE(svg->find("</svg>"), std::string::npos);
}

TEST_F(GraphTest, BadDotIsAnErrorNotACrash) {
  std::string error;
  EXPECT_FALSE(dotToSvg("digraph { a -> ", &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace isogate::policy

// Graphviz and fontconfig keep process-lifetime caches (plugin tables, font
// lists) that they never free; LeakSanitizer would report them in the ASan
// build. They are not ours and do not grow per call.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libgvc.so\nleak:libcgraph.so\nleak:libfontconfig.so\nleak:libpango\nleak:"
         "libcairo\nleak:libexpat.so\n";
}
