// Hand-built policy models for the compiler, verifier, digest and differential
// tests, so those tests do not depend on the YAML loader. exampleModel() is the
// same policy as tests/policy/fixtures/b-example.yaml.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "policy/model.h"

namespace isogate::policy::testing {

inline Prefix pfx(const char* text) {
  auto p = parsePrefix(text);
  if (!p) throw std::invalid_argument(text);
  return *p;
}

inline IpAddress ip(const char* text) {
  auto a = parseAddress(text);
  if (!a) throw std::invalid_argument(text);
  return *a;
}

inline Zone makeZone(const std::string& name, Level level, std::initializer_list<const char*> nets,
                     bool isAny = false, bool intraAllow = true) {
  Zone z;
  z.name = name;
  z.level = level;
  z.isAny = isAny;
  z.intraZoneAllow = intraAllow;
  for (const char* n : nets) z.networks.push_back({pfx(n), {}});
  return z;
}

inline ServiceTerm ports(uint8_t proto, std::initializer_list<PortRange> ranges) {
  ServiceTerm t;
  t.protocol = proto;
  t.ports = ranges;
  return t;
}

inline ServiceTerm icmp(uint8_t proto, std::initializer_list<uint8_t> types) {
  ServiceTerm t;
  t.protocol = proto;
  t.icmpTypes = types;
  return t;
}

inline Service makeService(const std::string& name, std::initializer_list<ServiceTerm> terms) {
  return Service{name, {}, terms};
}

inline Endpoint endpoint(const std::string& zone, std::initializer_list<const char*> nets = {}) {
  Endpoint e;
  e.zone = zone;
  for (const char* n : nets) e.networks.push_back({pfx(n), {}});
  return e;
}

// services: names; an empty list means `services` omitted (any).
inline Rule makeRule(const std::string& name, Endpoint from, Endpoint to, std::initializer_list<const char*> services,
                     Action action, int line = 0) {
  Rule r;
  r.name = name;
  r.where = {"model.yaml", line, 5};
  r.from = std::move(from);
  r.to = std::move(to);
  r.anyService = services.size() == 0;
  for (const char* s : services) r.services.push_back({s, {}, {}});
  r.action = action;
  return r;
}

inline Schedule schedule(uint8_t days, int start, int end) {
  Schedule s;
  s.days = days;
  s.startMinute = static_cast<uint16_t>(start);
  s.endMinute = static_cast<uint16_t>(end);
  return s;
}

// The four zones of SPEC §1 and their isolation.
inline Policy specZonesModel() {
  Policy p;
  p.file = "model.yaml";
  p.version = 1;
  p.name = "tianjin-egov-boundary";
  p.zones.push_back(makeZone("intranet", Level::Classified, {"10.10.0.0/16", "fd10::/48"}));
  p.zones.push_back(makeZone("extranet", Level::Internal, {"10.20.0.0/16", "fd20::/48"}));
  p.zones.push_back(makeZone("portal", Level::Public, {"172.16.30.0/24"}));
  p.zones.push_back(makeZone("internet", Level::Public, {}, true));
  p.defaultMode = IsolationMode::Physical;
  for (auto [a, b] : {std::pair{"extranet", "portal"}, {"extranet", "internet"}, {"portal", "internet"}}) {
    IsolationPair pair;
    pair.a = a;
    pair.b = b;
    pair.mode = IsolationMode::Logical;
    p.pairs.push_back(pair);
  }
  return p;
}

// A richer policy: nested networks, v4 and v6, an intra_zone: deny zone, named
// and inline services, deny rules, schedules (one past midnight), ICMP types.
inline Policy exampleModel() {
  Policy p = specZonesModel();
  p.zones[1].networks.push_back({pfx("10.20.5.0/24"), {}});  // nested in 10.20.0.0/16, same zone
  p.zones[1].networks.push_back({pfx("10.21.0.0/16"), {}});
  p.zones[2].networks.push_back({pfx("172.16.31.0/24"), {}});
  p.zones[2].networks.push_back({pfx("2001:db8:30::/48"), {}});
  p.zones[2].intraZoneAllow = false;
  p.services.push_back(makeService("https", {ports(kProtoTcp, {{443, 443}})}));
  p.services.push_back(makeService("dns", {ports(kProtoUdp, {{53, 53}}), ports(kProtoTcp, {{53, 53}})}));
  p.services.push_back(makeService("ssh", {ports(kProtoTcp, {{22, 22}})}));
  p.services.push_back(makeService("high", {ports(kProtoTcp, {{1024, 65535}})}));
  p.services.push_back(makeService("ping", {icmp(kProtoIcmp, {8}), icmp(kProtoIcmpv6, {128})}));
  p.services.push_back(makeService("web", {ports(kProtoTcp, {{80, 80}, {443, 443}, {8000, 8099}})}));
  p.services.push_back(makeService("errors", {icmp(kProtoIcmp, {3, 11, 12}), icmp(kProtoIcmpv6, {1, 2, 3, 4})}));

  p.rules.push_back(makeRule("block-bad-host", endpoint("internet", {"198.51.100.66/32", "2001:db8:bad::/48"}),
                             endpoint("portal"), {}, Action::Deny, 40));
  p.rules.push_back(makeRule("citizens-browse-portal", endpoint("internet"), endpoint("portal"), {"web"},
                             Action::Allow, 44));
  p.rules.push_back(makeRule("ping-portal", endpoint("internet"), endpoint("portal", {"172.16.30.0/25"}),
                             {"ping", "errors"}, Action::Allow, 49));
  Rule publish = makeRule("publish-content", endpoint("extranet", {"10.20.5.0/24", "fd20:0:0:5::/64"}),
                          endpoint("portal", {"172.16.30.10/32", "2001:db8:30::10/128"}), {"ssh"},
                          Action::Allow, 54);
  publish.log = true;
  publish.ref = "EX-2026-017";
  publish.schedule = schedule(0x1f, 8 * 60, 18 * 60);
  p.rules.push_back(publish);
  Rule night = makeRule("night-sync", endpoint("extranet", {"10.21.0.0/16"}), endpoint("portal"), {"high"},
                        Action::Allow, 63);
  night.schedule = schedule(0x7f, 22 * 60, 6 * 60);
  p.rules.push_back(night);
  p.rules.push_back(makeRule("no-portal-to-extranet-ssh", endpoint("portal"), endpoint("extranet"), {"ssh"},
                             Action::Deny, 69));
  Rule portalOut = makeRule("portal-backend", endpoint("portal"), endpoint("extranet", {"10.20.8.0/22"}), {},
                            Action::Allow, 74);
  portalOut.services.clear();
  portalOut.anyService = false;
  ServiceRef inlineRef;
  inlineRef.inlineTerms = {ports(kProtoTcp, {{5432, 5432}, {6379, 6379}}), ports(kProtoUdp, {{514, 514}})};
  portalOut.services.push_back(inlineRef);
  p.rules.push_back(portalOut);
  p.rules.push_back(makeRule("extranet-dns-out", endpoint("extranet"), endpoint("internet"), {"dns"},
                             Action::Allow, 80));
  p.rules.push_back(makeRule("extranet-web-out", endpoint("extranet", {"10.20.0.0/17"}), endpoint("internet"),
                             {"web", "ping"}, Action::Allow, 85));
  p.rules.push_back(makeRule("portal-updates", endpoint("portal", {"172.16.31.0/24"}), endpoint("internet"),
                             {"https"}, Action::Allow, 90));
  p.rules.push_back(makeRule("portal-intra-web", endpoint("portal", {"172.16.30.0/24"}),
                             endpoint("portal", {"172.16.31.0/24"}), {"web"}, Action::Allow, 95));
  p.rules.push_back(makeRule("extranet-intra-no-ssh", endpoint("extranet", {"10.21.0.0/16"}),
                             endpoint("extranet", {"10.20.0.0/16"}), {"ssh"}, Action::Deny, 100));
  Rule weekend = makeRule("weekend-maintenance", endpoint("internet", {"203.0.113.0/24"}), endpoint("extranet"),
                          {"ssh"}, Action::Allow, 105);
  weekend.schedule = schedule(0x60, 0, 1440);
  p.rules.push_back(weekend);
  return p;
}

}  // namespace isogate::policy::testing
