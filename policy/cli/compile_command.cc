// `isogate-policy compile POLICY --target nft|ir [-o FILE] [--gateway GATEWAY.yaml]`.
#include <iostream>

#include "policy/cli/cli_args.h"
#include "policy/cli/commands.h"
#include "policy/cli/gateway_option.h"
#include "policy/ir_json.h"
#include "policy/nft_ruleset.h"
#include "policy/nft_text.h"

namespace isogate::policy::cli {

namespace {

constexpr const char* kHelp =
    "usage: isogate-policy compile POLICY --target nft|ir [-o FILE] [--gateway GATEWAY.yaml]\n"
    "\n"
    "  --target nft   the nftables script for table inet isogate (load with nft -f);\n"
    "                 with --gateway, the interfaces of that configuration are bound\n"
    "                 to their zones (anti-spoofing, monitor ports) and its\n"
    "                 flows.max becomes the flow limit (ct count)\n"
    "  --target ir    the compiled intermediate form as JSON (docs/IR.md)\n"
    "  -o FILE        write to FILE (replaced atomically) instead of stdout\n"
    "\n"
    "Nothing is written when the policy (or the gateway configuration) has errors;\n"
    "the diagnostics go to stderr.\n"
    "\n"
    "exit status: 0 compiled, 1 invalid policy or configuration, 2 usage or I/O error\n";

}  // namespace

int runCompile(const Args& args) {
  ArgParser parser("compile",
                   {{"--target", "", true}, {"--output", "-o", true}, {"--gateway", "", true}},
                   {"POLICY"});
  if (!parser.parse(args)) return usageError("compile", parser.error());
  if (parser.helpRequested()) {
    std::cout << kHelp;
    return kExitOk;
  }
  const auto target = parser.value("--target");
  if (!target) return usageError("compile", "missing --target nft|ir");
  if (*target != "nft" && *target != "ir") {
    return usageError("compile", "unknown target '" + *target + "' (expected nft or ir)");
  }
  auto build = buildOrIoError("compile", parser.positional(0));
  if (!build) return kExitUsage;
  NftBuildOptions options = hostNftBuildOptions();
  if (build->ok()) {
    if (const auto gatewayPath = parser.value("--gateway")) {
      const GatewayOptionResult gw =
          loadGatewayForPolicy("compile", *gatewayPath, *build, build->diags);
      if (gw.ioError) return kExitUsage;
      options.interfaces = gw.interfaces;
      options.flowLimit = gw.flowLimit;
    }
  }
  printDiagnostics(build->diags);
  if (!build->ok() || build->diags.hasErrors()) return kExitFail;

  std::string text;
  if (*target == "nft") {
    text = renderNftText(buildNftRuleset(*build->compiled, options));
  } else {
    text = irToJson(*build->compiled).dump(2) + '\n';
  }
  const std::string output = parser.value("--output").value_or("");
  return writeOutput("compile", output, text) ? kExitOk : kExitUsage;
}

}  // namespace isogate::policy::cli
