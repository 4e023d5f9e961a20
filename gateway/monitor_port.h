// A monitor port is receive-only (SPEC §2): besides the ruleset's drops on it, the host
// itself must not speak there — no ARP answers for the gateway's other addresses, no IPv6
// link-local address, duplicate-address probes or router solicitations.
#pragma once

#include <string>

namespace isogate::gateway {

// Sets arp_ignore=8 and arp_announce=2, and disable_ipv6=1, for the interface (in the
// current network namespace). False with the first failure when the kernel refused.
bool silenceMonitorPort(const std::string& ifname, std::string& error);

}  // namespace isogate::gateway
