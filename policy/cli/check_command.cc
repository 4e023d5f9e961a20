// `isogate-policy check POLICY [--gateway GATEWAY.yaml]`: every diagnostic,
// sorted, GCC-style on stderr, then one summary line.
#include <iostream>

#include "policy/cli/cli_args.h"
#include "policy/cli/commands.h"
#include "policy/cli/gateway_option.h"

namespace isogate::policy::cli {

namespace {

constexpr const char* kHelp =
    "usage: isogate-policy check POLICY [--gateway GATEWAY.yaml]\n"
    "\n"
    "Validates a policy file: structure, values, zones, isolation, rules; warns\n"
    "about shadowed rules, unused services/zones and logical pairs with no rule.\n"
    "With --gateway, also validates that gateway configuration against the policy\n"
    "(e.g. forwarding interfaces in two physically isolated zones).\n"
    "Diagnostics go to stderr as FILE:LINE:COLUMN: error|warning: MESSAGE, sorted,\n"
    "followed by a summary line.\n"
    "\n"
    "exit status: 0 valid (warnings allowed), 1 invalid, 2 usage or I/O error\n";

std::string plural(int n, const char* word) {
  return std::to_string(n) + ' ' + word + (n == 1 ? "" : "s");
}

}  // namespace

int runCheck(const Args& args) {
  ArgParser parser("check", {{"--gateway", "", true}}, {"POLICY"});
  if (!parser.parse(args)) return usageError("check", parser.error());
  if (parser.helpRequested()) {
    std::cout << kHelp;
    return kExitOk;
  }
  const std::string path = parser.positional(0);
  auto build = buildOrIoError("check", path);
  if (!build) return kExitUsage;
  Diagnostics& diags = build->diags;
  const auto gatewayPath = parser.value("--gateway");
  if (gatewayPath) {
    if (!build->ok()) {
      diags.note({*gatewayPath, 0, 0}, "gateway configuration not checked: the policy has errors");
    } else {
      const GatewayOptionResult gw = loadGatewayForPolicy("check", *gatewayPath, *build, diags);
      if (gw.ioError) return kExitUsage;
    }
  }
  printDiagnostics(diags);
  const bool valid = !diags.hasErrors();
  std::cerr << path << (gatewayPath ? " + " + *gatewayPath : std::string()) << ": "
            << (valid ? "valid" : "invalid") << ", " << plural(diags.errorCount(), "error") << ", "
            << plural(diags.warningCount(), "warning") << '\n';
  return valid ? kExitOk : kExitFail;
}

}  // namespace isogate::policy::cli
