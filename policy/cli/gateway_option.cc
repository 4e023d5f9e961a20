#include "policy/cli/gateway_option.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "policy/gateway_config.h"

namespace isogate::policy::cli {

GatewayOptionResult loadGatewayForPolicy(const std::string& command, const std::string& path,
                                         const PolicyBuild& build, Diagnostics& diags) {
  GatewayOptionResult result;
  std::ifstream probe(path, std::ios::binary);
  if (!probe) {
    std::cerr << "isogate-policy " << command << ": cannot read " << path << ": "
              << std::strerror(errno) << '\n';
    result.ioError = true;
    return result;
  }
  const int errorsBefore = diags.errorCount();
  const GatewayConfig config = loadGatewayConfigFile(path, diags);
  if (diags.errorCount() > errorsBefore) return result;
  checkGatewayConfig(config, build.model, diags);

  // The configuration names its own policy; say so when it is not the one given.
  std::error_code ec;
  if (!config.policyPath.empty() &&
      !std::filesystem::equivalent(config.policyPath, build.model.file, ec)) {
    diags.note(config.policyWhere, "this configuration names policy " + config.policyPath +
                                       "; checked against " + build.model.file +
                                       " as given on the command line");
  }
  if (diags.errorCount() > errorsBefore || !build.compiled) return result;
  for (const auto& i : config.interfaces) {
    const int zone = build.compiled->findZone(i.zone);
    if (zone < 0) continue;  // the check above reported it
    result.interfaces.push_back(NftInterface{i.name, static_cast<uint16_t>(zone), i.monitor});
  }
  result.flowLimit = config.flows.max;
  result.ok = true;
  return result;
}

}  // namespace isogate::policy::cli
