// isogate-policy: the officer's tool for policy files (SPEC §3). Dispatch only;
// each subcommand lives in its own file.
#include <iostream>
#include <string>

#include "policy/cli/cli_args.h"
#include "policy/cli/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: isogate-policy COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  check POLICY [--gateway GATEWAY.yaml]          validate a policy (and a gateway config)\n"
    "  compile POLICY --target nft|ir [-o FILE] [--gateway GATEWAY.yaml]\n"
    "                                                 the nftables script or the IR as JSON\n"
    "  trace POLICY --src IP --dst IP [OPTIONS]       the verdict for one packet and why\n"
    "        (OPTIONS: --proto, --sport, --dport, --icmp-type, --at, --json)\n"
    "  diff OLD NEW [--json]                          what a change opens or closes\n"
    "  graph POLICY [--svg] [-o FILE]                 zones and allowed flows (DOT or SVG)\n"
    "  audit POLICY --segment ZONE CAPTURE.pcap [--json]\n"
    "                                                 isolation breaches in a capture\n"
    "\n"
    "'isogate-policy COMMAND --help' describes a command. Exit codes: 0 success,\n"
    "1 invalid policy / changes / findings, 2 usage or I/O error.\n"
    "Reference: docs/policy-language.md\n";

}  // namespace

// Graphviz (graph --svg) and fontconfig keep process-lifetime caches they never
// free; keep LeakSanitizer quiet about them in the ASan build. Unused otherwise.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libgvc.so\nleak:libcgraph.so\nleak:libfontconfig.so\nleak:libpango\nleak:libcairo\n"
         "leak:libexpat.so\n";
}

int main(int argc, char** argv) {
  using namespace isogate::policy::cli;
  if (argc < 2) {
    std::cerr << "isogate-policy: missing COMMAND\n" << kUsage;
    return kExitUsage;
  }
  const std::string command = argv[1];
  const Args args(argv + 2, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "--version") {
    std::cout << "isogate-policy 0.1.0\n";
    return kExitOk;
  }
  if (command == "check") return runCheck(args);
  if (command == "compile") return runCompile(args);
  if (command == "trace") return runTrace(args);
  if (command == "diff") return runDiff(args);
  if (command == "graph") return runGraph(args);
  if (command == "audit") return runAudit(args);
  std::cerr << "isogate-policy: unknown command '" << command << "'\n"
            << "Try 'isogate-policy --help'.\n";
  return kExitUsage;
}
