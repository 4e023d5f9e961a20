// The static L3 view of the gateway built once from DataplaneConfig: each
// port's MAC, zone name, monitor flag and own addresses, and one route table
// (connected networks of forwarding ports + configured routes, longest prefix
// first). Immutable after create(); the policy reload does not touch it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/config.h"

namespace isogate::dataplane {

struct NextHop {
  uint16_t port = 0;
  unsigned __int128 address = 0;  // the neighbour to resolve (the destination when connected)
};

class Topology {
 public:
  using U128 = unsigned __int128;

  // False with *error set when the config is inconsistent (too many ports, a
  // route whose `via` is in no connected network, mixed families, ...).
  bool build(const DataplaneConfig& config, std::string* error);

  size_t portCount() const { return ports_.size(); }
  const PortConfig& port(uint16_t p) const { return ports_[p]; }
  const MacAddress& mac(uint16_t p) const { return ports_[p].mac; }
  bool monitor(uint16_t p) const { return ports_[p].monitor; }

  // Whether a is one of port p's own addresses (kV6 picks the family).
  template <bool kV6>
  bool ownAddress(uint16_t p, U128 a) const noexcept {
    for (const auto& o : own_[p]) {
      if (o.v6 == kV6 && o.address == a) return true;
    }
    return false;
  }
  // Whether a is an own address of any port (one flat list: asked for every forwarded packet).
  template <bool kV6>
  bool ownAnywhere(U128 a) const noexcept {
    for (const auto& o : allOwn_) {
      if (o.v6 == kV6 && o.address == a) return true;
    }
    return false;
  }
  // First own address of port p in the family (for ARP requests / NS), false if none.
  template <bool kV6>
  bool firstOwn(uint16_t p, U128* out) const noexcept {
    for (const auto& o : own_[p]) {
      if (o.v6 == kV6) {
        *out = o.address;
        return true;
      }
    }
    return false;
  }
  // Whether a lies in one of port p's connected networks (who may be learned as a neighbour).
  template <bool kV6>
  bool connected(uint16_t p, U128 a) const noexcept {
    for (const auto& o : own_[p]) {
      if (o.v6 == kV6 && (a & o.mask) == (o.address & o.mask)) return true;
    }
    return false;
  }

  // Longest-prefix route to a; false when there is none.
  template <bool kV6>
  bool route(U128 a, NextHop* out) const noexcept {
    for (const auto& r : routes_) {  // sorted by prefix length, longest first
      if (r.v6 == kV6 && (a & r.mask) == r.base) {
        out->port = r.port;
        out->address = r.connected ? a : r.via;
        return true;
      }
    }
    return false;
  }

 private:
  struct Own {
    bool v6;
    U128 address, mask;
  };
  struct Route {
    bool v6;
    uint8_t length;
    U128 base, mask;
    bool connected;
    U128 via;
    uint16_t port;
  };
  std::vector<PortConfig> ports_;
  std::vector<std::vector<Own>> own_;
  std::vector<Own> allOwn_;  // own_ of all ports in one list
  std::vector<Route> routes_;
};

}  // namespace isogate::dataplane
