#include "policy/graph.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "policy/policy_text.h"

namespace isogate::policy {

namespace {

// Inside a DOT double-quoted string: quote and backslash are escaped; "\n" is
// added by the caller as DOT's own line break.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + '"';
}

const char* levelColor(Level l) {
  switch (l) {
    case Level::Classified:
      return "#f4cccc";
    case Level::Internal:
      return "#fff2cc";
    case Level::Public:
      return "#d9ead3";
  }
  return "#ffffff";
}

std::string servicesText(const Policy& policy, const Rule& r) {
  if (r.anyService) return "any";
  std::string out;
  for (const auto& ref : r.services) {
    if (!out.empty()) out += ", ";
    if (!ref.name.empty()) {
      out += ref.name;
    } else {
      for (size_t i = 0; i < ref.inlineTerms.size(); ++i) {
        if (i) out += ' ';
        out += formatServiceTerm(ref.inlineTerms[i]);
      }
    }
  }
  (void)policy;
  return out;
}

}  // namespace

std::string policyToDot(const Policy& policy) {
  std::string out =
      "digraph " + quoted(policy.name.empty() ? std::string("policy") : policy.name) + " {\n";
  out += "  graph [rankdir=LR, fontname=\"Helvetica\", label=" + quoted("policy " + policy.name) +
         "];\n";
  out += "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  for (const auto& z : policy.zones) {
    std::string label = z.name + '\n' + levelName(z.level);
    if (z.isAny) label += "\nany";
    for (const auto& n : z.networks) label += '\n' + toString(n.value);
    if (!z.intraZoneAllow) label += "\nintra_zone: deny";
    out += "  " + quoted(z.name) + " [label=" + quoted(label) + ", fillcolor=\"" +
           levelColor(z.level) + "\"];\n";
  }
  for (size_t a = 0; a < policy.zones.size(); ++a) {
    for (size_t b = a + 1; b < policy.zones.size(); ++b) {
      if (policy.isolation(policy.zones[a].name, policy.zones[b].name) != IsolationMode::Physical)
        continue;
      out += "  " + quoted(policy.zones[a].name) + " -> " + quoted(policy.zones[b].name) +
             " [dir=none, color=red, fontcolor=red, style=dashed, label=\"physical\"];\n";
    }
  }
  // One edge per directed zone pair, one label line per allow rule.
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::string> labels;
  for (const auto& r : policy.rules) {
    if (r.action != Action::Allow) continue;
    std::string line = r.name + ": " + servicesText(policy, r);
    if (r.schedule) line += " [" + formatSchedule(*r.schedule) + "]";
    if (!r.from.networks.empty() || !r.to.networks.empty()) line += " (part)";
    const auto key = std::make_pair(r.from.zone, r.to.zone);
    auto [it, fresh] = labels.emplace(key, line);
    if (fresh) {
      order.push_back(key);
    } else {
      it->second += '\n' + line;
    }
  }
  for (const auto& key : order) {
    out += "  " + quoted(key.first) + " -> " + quoted(key.second) +
           " [color=\"#1c4587\", label=" + quoted(labels[key]) + "];\n";
  }
  out += "}\n";
  return out;
}

std::optional<std::string> dotToSvg(const std::string& dot, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<std::string> {
    if (error) *error = why;
    return std::nullopt;
  };
  std::unique_ptr<GVC_t, int (*)(GVC_t*)> gvc(gvContext(), gvFreeContext);
  if (!gvc) return fail("cannot create a Graphviz context");
  std::unique_ptr<Agraph_t, int (*)(Agraph_t*)> g(agmemread(dot.c_str()), agclose);
  if (!g) return fail("Graphviz could not parse the DOT text");
  if (gvLayout(gvc.get(), g.get(), "dot") != 0)
    return fail("Graphviz layout engine 'dot' is not available");
  char* data = nullptr;
  unsigned int length = 0;
  const int rc = gvRenderData(gvc.get(), g.get(), "svg", &data, &length);
  std::optional<std::string> svg;
  if (rc == 0 && data) svg = std::string(data, length);
  if (data) gvFreeRenderData(data);
  gvFreeLayout(gvc.get(), g.get());
  if (!svg) return fail("Graphviz could not render SVG");
  return svg;
}

}  // namespace isogate::policy
