#include "dataplane/topology.h"

#include <algorithm>

namespace isogate::dataplane {

bool Topology::build(const DataplaneConfig& config, std::string* error) {
  auto fail = [&](std::string why) {
    if (error) *error = std::move(why);
    return false;
  };
  if (config.ports.empty()) return fail("no ports");
  if (config.ports.size() > kMaxPorts)
    return fail("more than " + std::to_string(kMaxPorts) + " ports");
  ports_ = config.ports;
  own_.assign(ports_.size(), {});
  allOwn_.clear();
  routes_.clear();
  for (uint16_t p = 0; p < ports_.size(); ++p) {
    const PortConfig& pc = ports_[p];
    if (pc.zone.empty()) return fail("port '" + pc.name + "' has no zone");
    for (const auto& ia : pc.addresses) {
      const bool v6 = ia.address.family == policy::Family::V6;
      if (ia.prefixLength > policy::familyBits(ia.address.family)) {
        return fail("port '" + pc.name + "': bad prefix length");
      }
      const U128 mask = policy::prefixMask(ia.address.family, ia.prefixLength);
      own_[p].push_back({v6, ia.address.value, mask});
      allOwn_.push_back({v6, ia.address.value, mask});
      if (!pc.monitor) {  // monitor ports never transmit: no route leads to them
        routes_.push_back({v6, ia.prefixLength, ia.address.value & mask, mask, true, 0, p});
      }
    }
  }
  for (const auto& rc : config.routes) {
    const bool v6 = rc.to.family == policy::Family::V6;
    if (rc.via.family != rc.to.family)
      return fail("route " + policy::toString(rc.to) + ": via of another family");
    NextHop nh;
    const bool found = v6 ? route<true>(rc.via.value, &nh) : route<false>(rc.via.value, &nh);
    bool direct = false;
    for (const auto& r : routes_) {
      if (r.connected && r.v6 == v6 && (rc.via.value & r.mask) == r.base) direct = true;
    }
    if (!found || !direct) {
      return fail("route " + policy::toString(rc.to) + ": via " + policy::toString(rc.via) +
                  " is in no connected network of a forwarding port");
    }
    routes_.push_back({v6, rc.to.length, rc.to.base, policy::prefixMask(rc.to.family, rc.to.length),
                       false, rc.via.value, nh.port});
  }
  // Longest prefix first; connected before configured at equal length.
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    if (a.length != b.length) return a.length > b.length;
    return a.connected && !b.connected;
  });
  return true;
}

}  // namespace isogate::dataplane
