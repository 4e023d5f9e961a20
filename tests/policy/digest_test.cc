// The policy digest: the same content gives the same digest whatever the YAML
// layout, comments or file name; any semantic change gives a different one.
#include <gtest/gtest.h>

#include <set>

#include "policy/compiler.h"
#include "policy/pipeline.h"
#include "tests/policy/example_model.h"
#include "tests/policy/policy_fixture.h"

namespace isogate::policy {
namespace {

const std::string kBase = testing::policyText({R"(version: 1
name: tianjin-egov-boundary
zones:
  intranet:
    description: government internal network (classified)
    level: classified
    networks: [10.10.0.0/16, "fd10::/48"]
)",
                                               testing::kExtranetZone, testing::kPortalZone,
                                               testing::kInternetZone, testing::exampleIsolation(),
                                               R"(services:
  https: {tcp: [443]}
  ssh:   {tcp: [22]}
rules:
)",
                                               testing::kCitizensBrowsePortalRule,
                                               testing::kPublishContentRule, R"(    log: true
    ref: EX-2026-017
    schedule: {days: [mon, tue, wed, thu, fri], hours: "08:00-18:00"}
)"});

// The same policy: comments, other indentation, block instead of flow style,
// other quoting, keys in another order, a description changed.
const char* kReformatted = R"(# Boundary policy, reviewed 2026-11-01
version: 1
name: "tianjin-egov-boundary"

zones:
    intranet:            # classified
        level: classified
        description: the classified government network
        networks:
            - 10.10.0.0/16
            - fd10::/48
    extranet:
        networks: ["10.20.0.0/16", "fd20::/48"]
        level: internal
    portal: {level: public, networks: [172.16.30.0/24]}
    internet:
        level: public
        networks: [any]

isolation:
    pairs:
        - {zones: [extranet, portal], mode: logical}
        - zones: [extranet, internet]
          mode: logical
        - mode: logical
          zones: [portal, internet]
    default: physical

services:
    https:
        tcp: [443]
    ssh: {tcp: ["22"]}

rules:
    - name: citizens-browse-portal
      action: allow
      from: internet
      to: portal
      services: [https]

    - name: publish-content
      ref: EX-2026-017
      from:
          zone: extranet
          networks: [10.20.5.0/24]
      to: {zone: portal, networks: ["172.16.30.10/32"]}
      services: [ssh]
      action: allow
      log: true
      schedule:
          days: [mon, tue, wed, thu, fri]
          hours: "08:00-18:00"
)";

std::string replaceOnce(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("not in policy: " + from);
  return text.replace(at, from.size(), to);
}

std::string digestOf(const std::string& text, const std::string& file = "policy.yaml") {
  PolicyBuild b = buildPolicyText(text, file);
  std::string diags;
  for (const auto& d : b.diags.all()) diags += formatDiagnostic(d) + "\n";
  EXPECT_TRUE(b.ok()) << diags;
  return b.ok() ? b.compiled->digest : std::string("build failed");
}

TEST(DigestTest, FormatIsSha256Hex) {
  // std::regex is avoided: GCC 12 warns inside it under the sanitizer build.
  const std::string d = digestOf(kBase);
  ASSERT_EQ(d.size(), 7u + 64u) << d;
  EXPECT_EQ(d.substr(0, 7), "sha256:");
  EXPECT_EQ(d.find_first_not_of("0123456789abcdef", 7), std::string::npos) << d;
}

TEST(DigestTest, StableAcrossLayoutCommentsAndFileName) {
  const std::string base = digestOf(kBase);
  EXPECT_EQ(digestOf(kBase), base);
  EXPECT_EQ(digestOf(kBase, "/etc/isogate/other-name.yaml"), base);
  EXPECT_EQ(digestOf(kReformatted), base);
  EXPECT_EQ(digestOf(std::string("\n\n# leading comment\n") + kBase + "\n# trailing\n"), base);
}

TEST(DigestTest, NormalisedNetworksGiveTheSameDigest) {
  // A nested network of the same zone, listed or not, is the same policy.
  const std::string base = digestOf(kBase);
  EXPECT_EQ(digestOf(replaceOnce(kBase, "[10.20.0.0/16, ", "[10.20.0.0/16, 10.20.9.0/24, ")), base);
}

TEST(DigestTest, EverySemanticChangeChangesIt) {
  const std::vector<std::pair<std::string, std::string>> changes = {
      {"name: tianjin-egov-boundary", "name: tianjin-egov-boundary-2"},
      {"https: {tcp: [443]}", "https: {tcp: [444]}"},
      {"https: {tcp: [443]}", "https: {udp: [443]}"},
      {"networks: [172.16.30.0/24]", "networks: [172.16.30.0/23]"},
      {"networks: [10.20.5.0/24]", "networks: [10.20.6.0/24]"},
      {"networks: [172.16.30.10/32]", "networks: [172.16.30.11/32]"},
      {"    services: [ssh]\n    action: allow", "    services: [ssh]\n    action: deny"},
      {"    log: true\n", ""},
      {"ref: EX-2026-017", "ref: EX-2026-018"},
      {"hours: \"08:00-18:00\"", "hours: \"08:00-18:30\""},
      {"days: [mon, tue, wed, thu, fri]", "days: [mon, tue, wed, thu]"},
      {"    schedule: {days: [mon, tue, wed, thu, fri], hours: \"08:00-18:00\"}\n", ""},
      {"level: internal", "level: public"},
      {"networks: [any]", "networks: [any]\n    intra_zone: deny"},
      {"- name: citizens-browse-portal", "- name: citizens-browse-portal-2"},
      {"    - zones: [extranet, internet]\n      mode: logical\n", ""},
      {"    services: [https]\n", ""},
  };
  std::set<std::string> seen{digestOf(kBase)};
  for (const auto& [from, to] : changes) {
    const std::string d = digestOf(replaceOnce(kBase, from, to));
    EXPECT_TRUE(seen.insert(d).second) << "same digest after changing '" << from << "' to '" << to << "'";
  }
}

TEST(DigestTest, RuleOrderMatters) {
  std::string swapped = kBase;
  const auto first = swapped.find("  - name: citizens-browse-portal");
  const auto second = swapped.find("  - name: publish-content");
  const std::string a = swapped.substr(first, second - first);
  const std::string b = swapped.substr(second);
  swapped = swapped.substr(0, first) + b + a;
  EXPECT_NE(digestOf(swapped), digestOf(kBase));
}

TEST(DigestTest, LocationsDoNotCount) {
  Policy m = testing::exampleModel();
  const std::string base = computeDigest(compilePolicy(m));
  for (auto& r : m.rules) r.where = {"elsewhere.yaml", r.where.line + 7, 3};
  m.file = "elsewhere.yaml";
  EXPECT_EQ(computeDigest(compilePolicy(m)), base);
  m.rules[2].log = !m.rules[2].log;
  EXPECT_NE(computeDigest(compilePolicy(m)), base);
}

}  // namespace
}  // namespace isogate::policy
