// YAML pieces of the spec's example boundary (zones intranet, extranet, portal,
// internet, their isolation, the rules several tests share) that policy tests start
// from, so each test spells out only what it varies. Join them with policyText().
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace isogate::policy::testing {

// Each piece is whole lines ending in '\n': tests assert line numbers of the joined
// text, so a piece must keep its exact lines.
inline constexpr std::string_view kIntranetZone = R"(  intranet:
    level: classified
    networks: [10.10.0.0/16, "fd10::/48"]
)";

inline constexpr std::string_view kExtranetZone = R"(  extranet:
    level: internal
    networks: [10.20.0.0/16, "fd20::/48"]
)";

inline constexpr std::string_view kPortalZone = R"(  portal:
    level: public
    networks: [172.16.30.0/24]
)";

inline constexpr std::string_view kInternetZone = R"(  internet:
    level: public
    networks: [any]
)";

// An isolation section: physical by default, the given pairs of zones only
// logically apart.
inline std::string logicalPairs(
    std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::string text = "isolation:\n  default: physical\n  pairs:\n";
  for (const auto& [a, b] : pairs)
    text.append("    - zones: [")
        .append(a)
        .append(", ")
        .append(b)
        .append("]\n      mode: logical\n");
  return text;
}

// The example's isolation: the three less classified zones only logically apart.
inline std::string exampleIsolation() {
  return logicalPairs({{"extranet", "portal"}, {"extranet", "internet"}, {"portal", "internet"}});
}

inline constexpr std::string_view kCitizensBrowsePortalRule = R"(  - name: citizens-browse-portal
    from: internet
    to: portal
    services: [https]
    action: allow
)";

// The small policies' middle: every pair of zones logically apart, https and ssh.
inline constexpr std::string_view kLogicalHttpsSsh = R"(isolation:
  default: logical
services:
  https: {tcp: [443]}
  ssh: {tcp: [22]}
rules:
)";

inline constexpr std::string_view kCitizensRule = R"(  - name: citizens
    from: internet
    to: portal
    services: [https]
    action: allow
)";

// The citizens' way in on another port, a rule the diff tests add or swap in.
inline constexpr std::string_view kCitizensAltRule = R"(  - name: citizens-alt
    from: internet
    to: portal
    services: [{tcp: [8443]}]
    action: allow
    ref: EX-2026-020
)";

inline constexpr std::string_view kExtranetOutRule = R"(  - name: out
    from: extranet
    to: internet
    services: [https]
    action: allow
)";

// The rule's first lines; tests append their own log/ref/schedule lines.
inline constexpr std::string_view kPublishContentRule = R"(  - name: publish-content
    from: {zone: extranet, networks: [10.20.5.0/24]}
    to: {zone: portal, networks: [172.16.30.10/32]}
    services: [ssh]
    action: allow
)";

// A whole policy text from pieces, in order.
inline std::string policyText(std::initializer_list<std::string_view> pieces) {
  std::string text;
  for (const std::string_view piece : pieces) text += piece;
  return text;
}

}  // namespace isogate::policy::testing
