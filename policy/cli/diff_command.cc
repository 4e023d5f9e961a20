// `isogate-policy diff OLD NEW [--json]`: what a policy change opens or closes.
#include <iostream>

#include "policy/cli/cli_args.h"
#include "policy/cli/commands.h"
#include "policy/policy_diff.h"

namespace isogate::policy::cli {

namespace {

constexpr const char* kHelp =
    "usage: isogate-policy diff OLD NEW [--json]\n"
    "\n"
    "What the change from OLD to NEW makes reachable (+) or unreachable (-), per\n"
    "directed zone pair and service, with the sub-networks and times concerned and\n"
    "the deciding rule; then changes of zones, levels, networks and isolation modes\n"
    "(~). Computed from the verdicts of both policies over the whole traffic space,\n"
    "so a textual change without effect (e.g. reordered rules that never overlap)\n"
    "prints \"no change in reachability\".\n"
    "\n"
    "  --json   one JSON object: changed, structural [...], reachability [...]\n"
    "\n"
    "exit status: 0 no change, 1 changes, 2 usage or I/O error or an invalid policy\n";

}  // namespace

int runDiff(const Args& args) {
  ArgParser parser("diff", {{"--json", "", false}}, {"OLD", "NEW"});
  if (!parser.parse(args)) return usageError("diff", parser.error());
  if (parser.helpRequested()) {
    std::cout << kHelp;
    return kExitOk;
  }
  auto oldBuild = buildOrIoError("diff", parser.positional(0));
  if (!oldBuild) return kExitUsage;
  auto newBuild = buildOrIoError("diff", parser.positional(1));
  if (!newBuild) return kExitUsage;
  // 1 means "changes" here, so an invalid policy is reported with 2.
  bool invalid = false;
  for (const auto* b : {&*oldBuild, &*newBuild}) {
    if (b->ok()) continue;
    printDiagnostics(b->diags);
    std::cerr << "isogate-policy diff: " << b->model.file << " is invalid; nothing compared\n";
    invalid = true;
  }
  if (invalid) return kExitUsage;
  const PolicyDiff diff = diffPolicies(oldBuild->model, newBuild->model);
  if (parser.has("--json")) {
    std::cout << diffToJson(diff).dump(2) << '\n';
  } else {
    std::cout << formatDiff(diff);
  }
  return diff.empty() ? kExitOk : kExitFail;
}

}  // namespace isogate::policy::cli
