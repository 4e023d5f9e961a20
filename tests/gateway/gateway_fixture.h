// What several gateway tests set up the same way: the e2e fixture policy, an
// IPv4/TCP packet as the kernel's log hands it over, and a netlink socket opened
// inside a test's network namespace.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/policy/netns_helpers.h"

namespace isogate::gateway::testing {

// The policy the e2e tests run with, so unit tests name the same zones and rules.
inline const std::string kFixturePolicy =
    std::string(ISOGATE_SOURCE_DIR) + "/tests/e2e/fixtures/policy.yaml";

// An IPv4 header and the first bytes of a TCP header: all a packet summary reads.
inline std::vector<uint8_t> ipv4Tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
  std::vector<uint8_t> p(40, 0);
  p[0] = 0x45;
  p[9] = 6;
  for (int i = 0; i < 4; ++i) {
    p[12 + i] = static_cast<uint8_t>(src >> (24 - 8 * i));
    p[16 + i] = static_cast<uint8_t>(dst >> (24 - 8 * i));
  }
  p[20] = static_cast<uint8_t>(sport >> 8);
  p[21] = static_cast<uint8_t>(sport);
  p[22] = static_cast<uint8_t>(dport >> 8);
  p[23] = static_cast<uint8_t>(dport);
  return p;
}

// Opens the netlink socket `nl` inside `ns`: the socket stays in that namespace
// after the thread returns to its own. A template so tests that do not talk
// netlink need not include its header.
template <class Netlink>
bool openIn(const isogate::testing::ScopedNetns& ns, Netlink& nl, std::string* error) {
  const int self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = ::open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
  bool ok = self >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0;
  if (ok) {
    ok = nl.open(error);
    if (setns(self, CLONE_NEWNET) != 0) std::abort();  // never keep running in the test namespace
  } else if (error) {
    *error = "cannot enter " + ns.name();
  }
  if (self >= 0) ::close(self);
  if (target >= 0) ::close(target);
  return ok;
}

}  // namespace isogate::gateway::testing
