#include "policy/cli/gateway_option.h"

namespace isogate::policy::cli {

// Placeholder until the gateway configuration loader lands: refuse rather than
// pretend the configuration was checked.
GatewayOptionResult loadGatewayForPolicy(const std::string&, const std::string& path, const PolicyBuild&,
                                         Diagnostics& diags) {
  diags.error({path, 0, 0}, "gateway configuration checking is not available in this build");
  return {};
}

}  // namespace isogate::policy::cli
