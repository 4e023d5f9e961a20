#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "policy/cli/commands.h"

namespace isogate::policy::cli {

std::optional<PolicyBuild> buildOrIoError(const std::string& command, const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) {
    std::cerr << "isogate-policy " << command << ": cannot read " << path << ": "
              << std::strerror(errno) << '\n';
    return std::nullopt;
  }
  return buildPolicyFile(path);
}

void printDiagnostics(const Diagnostics& diags) {
  for (const auto& d : diags.sorted()) std::cerr << formatDiagnostic(d) << '\n';
}

bool writeOutput(const std::string& command, const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return static_cast<bool>(std::cout);
  }
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) {
      std::cerr << "isogate-policy " << command << ": cannot write " << path << ": "
                << std::strerror(errno) << '\n';
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::cerr << "isogate-policy " << command << ": cannot write " << path << ": "
              << std::strerror(errno) << '\n';
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace isogate::policy::cli
