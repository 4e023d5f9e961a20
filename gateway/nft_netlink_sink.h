// The kernel RulesetSink: table `inet isogate` through libnftnl + libmnl as one netlink batch
// (helper C's emitter, gateway/nft_netlink.h), checked by reading it back.
#pragma once

#include <memory>

#include "gateway/nft_backend.h"

namespace isogate::gateway {

std::unique_ptr<RulesetSink> makeKernelRulesetSink();

}  // namespace isogate::gateway
