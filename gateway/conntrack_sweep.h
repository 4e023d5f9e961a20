// After a reload (and at schedule boundaries) the kernel's connection table still holds
// flows the running policy no longer allows; nftables accepts their packets as
// `established`. This removes exactly those entries over ctnetlink (never a flush), so the
// next packet of such a flow is new again and meets the policy, while every flow the policy
// still allows keeps its state.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "policy/compiled.h"
#include "policy/model.h"

namespace isogate::gateway {

struct SweepResult {
  bool ok = false;
  std::string error;
  size_t seen = 0;     // entries looked at
  size_t removed = 0;  // entries of flows the policy denies now
};

// `local` are the gateway's own addresses: flows to or from the box itself are not the
// forward path's business and are left alone.
SweepResult sweepConntrack(const policy::CompiledPolicy& policy, const std::vector<policy::IpAddress>& local,
                           const policy::LocalTime& now);

}  // namespace isogate::gateway
