// `isogate-policy graph`: the zones and the flows a policy allows, as Graphviz
// DOT for people to look at (and SVG through Graphviz's own library). Zones are
// nodes with their level and networks; physical pairs are red dashed edges;
// every allow rule between two zones is a directed edge labelled with services.
#pragma once

#include <optional>
#include <string>

#include "policy/model.h"

namespace isogate::policy {

std::string policyToDot(const Policy& policy);

// Lays the DOT out with the `dot` engine and renders SVG. nullopt on failure,
// with *error set (e.g. Graphviz plugins missing).
std::optional<std::string> dotToSvg(const std::string& dot, std::string* error);

}  // namespace isogate::policy
