// `--gateway GATEWAY.yaml` for check and compile: loads the gateway
// configuration, checks it against the already built policy (diagnostics go
// into the same list) and returns the interfaces and flow limit the nftables ruleset needs.
#pragma once

#include <string>
#include <vector>

#include "policy/diagnostics.h"
#include "policy/nft_ruleset.h"
#include "policy/pipeline.h"

namespace isogate::policy::cli {

struct GatewayOptionResult {
  bool ioError = false;  // unreadable file: already reported on stderr, exit 2
  bool ok = false;       // loaded and consistent with the policy
  std::vector<NftInterface> interfaces;
  uint32_t flowLimit = 0;  // the configuration's `flows.max` (0 = none)
};

// `build` must be ok().
GatewayOptionResult loadGatewayForPolicy(const std::string& command, const std::string& path,
                                         const PolicyBuild& build, Diagnostics& diags);

}  // namespace isogate::policy::cli
