// The isogate-policy subcommands (SPEC §3), one file each; main.cc only
// dispatches. Each takes the arguments after its name and returns the exit
// code: 0 success, 1 invalid policy / changes / findings, 2 usage or I/O error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/pipeline.h"

namespace isogate::policy::cli {

using Args = std::vector<std::string>;

int runCheck(const Args& args);
int runCompile(const Args& args);
int runTrace(const Args& args);
int runDiff(const Args& args);
int runGraph(const Args& args);
int runAudit(const Args& args);

// Shared by the commands: a policy file that cannot be read is an I/O error
// (exit 2, message on stderr); otherwise the build with its diagnostics.
std::optional<PolicyBuild> buildOrIoError(const std::string& command, const std::string& path);
// Every diagnostic, sorted, GCC-style, on stderr.
void printDiagnostics(const Diagnostics& diags);
// Writes text to `path` (atomically: a temporary file renamed into place) or
// to stdout when path is empty. Returns false after printing the error.
bool writeOutput(const std::string& command, const std::string& path, const std::string& text);

}  // namespace isogate::policy::cli
