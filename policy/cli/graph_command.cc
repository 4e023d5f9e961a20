// `isogate-policy graph POLICY [--svg] [-o FILE]`.
#include <iostream>

#include "policy/cli/cli_args.h"
#include "policy/cli/commands.h"
#include "policy/graph.h"

namespace isogate::policy::cli {

namespace {

constexpr const char* kHelp =
    "usage: isogate-policy graph POLICY [--svg] [-o FILE]\n"
    "\n"
    "The zones (with level and networks) and the flows the policy allows, as\n"
    "Graphviz DOT: physical pairs are red dashed edges, allow rules directed edges\n"
    "labelled with rule and services. --svg renders it with Graphviz's dot layout.\n"
    "\n"
    "  -o FILE   write to FILE instead of stdout\n"
    "\n"
    "exit status: 0 drawn, 1 invalid policy, 2 usage or I/O error\n";

}  // namespace

int runGraph(const Args& args) {
  ArgParser parser("graph", {{"--svg", "", false}, {"--output", "-o", true}}, {"POLICY"});
  if (!parser.parse(args)) return usageError("graph", parser.error());
  if (parser.helpRequested()) {
    std::cout << kHelp;
    return kExitOk;
  }
  auto build = buildOrIoError("graph", parser.positional(0));
  if (!build) return kExitUsage;
  if (!build->ok()) {
    printDiagnostics(build->diags);
    std::cerr << "isogate-policy graph: " << parser.positional(0) << " is invalid; nothing drawn\n";
    return kExitFail;
  }
  std::string text = policyToDot(build->model);
  if (parser.has("--svg")) {
    std::string error;
    auto svg = dotToSvg(text, &error);
    if (!svg) {
      std::cerr << "isogate-policy graph: " << error << '\n';
      return kExitUsage;
    }
    text = std::move(*svg);
  }
  return writeOutput("graph", parser.value("--output").value_or(""), text) ? kExitOk : kExitUsage;
}

}  // namespace isogate::policy::cli
