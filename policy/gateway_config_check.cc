// checkGatewayConfig: the gateway config against the policy it enforces.
#include <string>
#include <vector>

#include "policy/gateway_config.h"
#include "policy/spelling.h"

namespace isogate::policy {

namespace {

bool isLoopback(const std::string& host) {
  if (host == "localhost") return true;
  const auto a = parseAddress(host);
  if (!a) return false;
  if (a->family == Family::V4) return (a->value >> 24) == 127;
  return a->value == 1;
}

// Which of two physically isolated zones should become a monitor port: the
// more sensitive one (higher level), else the first interface's.
const std::string& sensorZone(const Zone& a, const Zone& b) {
  return b.level > a.level ? b.name : a.name;
}

}  // namespace

void checkGatewayConfig(const GatewayConfig& config, const Policy& policy, Diagnostics& diags) {
  std::vector<std::string> zoneNames;
  for (const auto& z : policy.zones) zoneNames.push_back(z.name);
  std::vector<const Zone*> zoneOf(config.interfaces.size(), nullptr);

  for (size_t i = 0; i < config.interfaces.size(); ++i) {
    const GatewayInterface& itf = config.interfaces[i];
    const std::string label = "interface '" + itf.name + "'";
    if (!itf.zone.empty()) {
      zoneOf[i] = policy.findZone(itf.zone);
      if (!zoneOf[i]) {
        diags.error(itf.zoneWhere, "undefined zone '" + itf.zone + "' in " + label +
                                       didYouMean(itf.zone, zoneNames));
      }
    }
    if (itf.monitor) {
      if (!itf.addresses.empty()) {
        diags.error(
            itf.addressWhere,
            "monitor " + label + " must not have an address; a monitor port never transmits");
      }
      continue;
    }
    if (config.backend == Backend::Dpdk && itf.device.empty()) {
      diags.error(itf.where,
                  label + " needs 'device' (a PCI address or vdev string) with the dpdk backend");
    }
    if (config.backend == Backend::Nftables && !itf.device.empty()) {
      diags.warning(itf.deviceWhere,
                    "'device' of " + label + " is ignored with the nftables backend");
    }
    const Zone* zone = zoneOf[i];
    if (!zone) continue;
    for (const auto& a : itf.addresses) {
      const std::string addr = "address " + toString(a.value) + " of " + label;
      if (zone->isAny) {
        for (const auto& other : policy.zones) {
          bool inside = false;
          for (const auto& n : other.networks) inside = inside || n.value.contains(a.value.address);
          if (inside && !other.isAny) {
            diags.error(a.where, addr + " belongs to zone '" + other.name + "', not to '" +
                                     zone->name + "'");
            break;
          }
        }
        continue;
      }
      bool inside = false;
      for (const auto& n : zone->networks) inside = inside || n.value.contains(a.value.address);
      if (!inside) diags.error(a.where, addr + " is not inside zone '" + zone->name + "'");
    }
  }

  // One box forwarding between physically isolated zones is the forbidden link itself.
  for (size_t j = 0; j < config.interfaces.size(); ++j) {
    const GatewayInterface& later = config.interfaces[j];
    if (later.monitor || !zoneOf[j]) continue;
    for (size_t i = 0; i < j; ++i) {
      const GatewayInterface& earlier = config.interfaces[i];
      if (earlier.monitor || !zoneOf[i] || zoneOf[i] == zoneOf[j]) continue;
      if (policy.isolation(earlier.zone, later.zone) != IsolationMode::Physical) continue;
      diags.error(later.zoneWhere, "interfaces '" + earlier.name + "' (" + earlier.zone +
                                       ") and '" + later.name + "' (" + later.zone +
                                       ") forward between physically isolated zones; attach the " +
                                       sensorZone(*zoneOf[i], *zoneOf[j]) +
                                       " segment as a monitor interface");
    }
  }

  for (const auto& route : config.routes) {
    bool connected = false;
    for (const auto& itf : config.interfaces) {
      if (itf.monitor) continue;
      for (const auto& a : itf.addresses)
        connected = connected || a.value.network().contains(route.via.value);
    }
    if (!connected) {
      diags.error(route.via.where, "route via " + toString(route.via.value) +
                                       " is not on a network of any forwarding interface");
    }
  }

  if (config.metrics.enabled && !isLoopback(config.metrics.host)) {
    diags.warning(config.metrics.where, "metrics endpoint '" + config.metrics.host +
                                            "' is not on loopback; anyone who "
                                            "can reach it can read the gateway's counters");
  }
}

}  // namespace isogate::policy
