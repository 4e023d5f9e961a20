// How the gateway words a failed DPDK call: "call: reason". DPDK calls report a negative
// errno as their result or a positive one in rte_errno; either gives the same text.
#pragma once

#include <rte_errno.h>

#include <string>

namespace isogate::gateway {

inline std::string dpdkError(const char* call, int rc) {
  return std::string(call) + ": " + rte_strerror(rc < 0 ? -rc : rc);
}

}  // namespace isogate::gateway
