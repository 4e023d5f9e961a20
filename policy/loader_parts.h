// Internal pieces of the policy loader (loader.cc), split by section of the
// policy file: services and their port/ICMP terms, rules. Not a public API.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/model.h"
#include "policy/yaml_reader.h"
#include "policy/yaml_tree.h"

namespace isogate::policy::detail {

// Zone and service names end up in nftables identifiers: [a-z][a-z0-9_-]*, <= 32.
bool isZoneOrServiceName(std::string_view s);
// Rule names: [a-z0-9-]+, <= 64.
bool isRuleName(std::string_view s);
// Reports an invalid zone/service name at `at`; `what` is "zone" or "service".
bool checkZoneOrServiceName(YamlReader& r, const yaml::Node& at, std::string_view what);

// "443" or "1024-65535"; on failure sets *why to a full diagnostic message.
std::optional<PortRange> parsePortItem(std::string_view text, std::string* why);

// A service body {tcp: [...], udp: [...], icmp: [...], icmpv6: [...]}.
// `context` names it in messages ("service 'https'").
std::vector<ServiceTerm> loadServiceTerms(YamlReader& r, const yaml::Node& body,
                                          const std::string& context);

void loadServices(YamlReader& r, const yaml::Entry& section, Policy& policy);
void loadRules(YamlReader& r, const yaml::Entry& section, Policy& policy);

}  // namespace isogate::policy::detail
