// Generates large, realistic, valid policies for benchmarks and differential
// tests: the four SPEC zones, many agency sub-networks (IPv4 and IPv6) in the
// extranet and the portal, common services, and N rules spread over the
// logical pairs with varied endpoints, ports, deny rules and schedules.
// Deterministic for a seed; the result passes `isogate-policy check` without errors.
#pragma once

#include <cstdint>
#include <string>

#include "policy/model.h"

namespace isogate::bench {

struct GeneratorOptions {
  size_t rules = 1000;
  uint64_t seed = 1;
};

// The policy as a model (locations empty), for tests that do not go through YAML.
policy::Policy generatePolicyModel(const GeneratorOptions& options);

// The same policy as the YAML an officer would write.
std::string writePolicyYaml(const policy::Policy& policy);

}  // namespace isogate::bench
