// Hand-built compiled policies for the nftables model and emitter tests (and
// the kernel backend tests): a small one with IPv6 and schedules, and a
// synthetic big one of N rules, so these tests do not depend on the loader.
#pragma once

#include <string>
#include <vector>

#include "policy/compiled.h"

namespace isogate::policy::testing {

inline Prefix pfx(const char* text) { return *parsePrefix(text); }

inline MatchTerm tcpPort(uint16_t first, uint16_t last) {
  MatchTerm t;
  t.protoFirst = t.protoLast = kProtoTcp;
  t.portFirst = first;
  t.portLast = last;
  return t;
}

inline MatchTerm udpPort(uint16_t port) {
  MatchTerm t;
  t.protoFirst = t.protoLast = kProtoUdp;
  t.portFirst = t.portLast = port;
  return t;
}

inline MatchTerm icmpType(uint8_t proto, uint8_t type) {
  MatchTerm t;
  t.protoFirst = t.protoLast = proto;
  t.icmpFirst = t.icmpLast = type;
  return t;
}

inline void setMatrix(CompiledPolicy& p, const std::vector<std::pair<int, int>>& logical) {
  const size_t n = p.zones.size();
  p.matrix.assign(n * n, PairKind::Physical);
  for (size_t i = 0; i < n; ++i) p.matrix[i * n + i] = PairKind::Intra;
  for (auto [a, b] : logical) {
    p.matrix[a * n + b] = PairKind::Logical;
    p.matrix[b * n + a] = PairKind::Logical;
  }
}

// Zones: 0 intranet (classified), 1 extranet, 2 portal, 3 internet (any).
inline CompiledPolicy smallPolicy() {
  CompiledPolicy p;
  p.name = "tianjin-egov-boundary";
  p.sourceFile = "small.yaml";
  p.digest = "sha256:" + std::string(64, '0');
  p.zones = {{"intranet", Level::Classified, false, true},
             {"extranet", Level::Internal, false, false},
             {"portal", Level::Public, false, true},
             {"internet", Level::Public, true, true}};
  p.anyZone = 3;
  p.prefixes4 = {{pfx("10.10.0.0/16"), 0}, {pfx("10.20.0.0/16"), 1}, {pfx("172.16.30.0/24"), 2}};
  p.prefixes6 = {{pfx("fd10::/48"), 0}, {pfx("fd20::/48"), 1}};
  setMatrix(p, {{1, 2}, {1, 3}, {2, 3}});
  auto rule = [&](const char* name, uint16_t from, uint16_t to, std::vector<MatchTerm> terms, Action a) {
    CompiledRule r;
    r.id = static_cast<uint32_t>(p.rules.size());
    r.name = name;
    r.where = {"small.yaml", static_cast<int>(30 + p.rules.size() * 6), 5};
    r.fromZone = from;
    r.toZone = to;
    r.terms = std::move(terms);
    r.action = a;
    p.rules.push_back(r);
    return &p.rules.back();
  };
  rule("citizens-browse-portal", 3, 2, {tcpPort(443, 443)}, Action::Allow);
  {
    auto* r = rule("publish-content", 1, 2, {tcpPort(22, 22)}, Action::Allow);
    r->src = {pfx("10.20.5.0/24")};
    r->dst = {pfx("172.16.30.10/32")};
    r->log = true;
    r->ref = "EX-2026-017";
    r->schedule = Schedule{0x1f, 8 * 60, 18 * 60, {}};
  }
  rule("extranet-dns", 1, 3, {udpPort(53), tcpPort(53, 53)}, Action::Allow);
  {
    auto* r = rule("v6-mirror", 1, 3, {tcpPort(873, 873)}, Action::Allow);
    r->src = {pfx("fd20:0:0:5::/64"), pfx("fd20:0:0:7::/64")};
  }
  {
    auto* r = rule("night-backup", 1, 3, {tcpPort(1024, 65535)}, Action::Allow);
    r->dst = {pfx("198.51.100.0/24"), pfx("2001:db8::/32")};
    r->schedule = Schedule{0x01, 22 * 60, 6 * 60, {}};  // mondays 22:00 to tuesday 06:00
  }
  rule("no-portal-ping", 3, 2, {icmpType(kProtoIcmp, 8), icmpType(kProtoIcmpv6, 128)}, Action::Deny);
  rule("portal-any-out", 2, 3, {MatchTerm{}}, Action::Allow);
  rule("extranet-internal-ssh", 1, 1, {tcpPort(22, 22)}, Action::Deny);
  {
    auto* r = rule("agencies-to-portal", 1, 2, {tcpPort(443, 443)}, Action::Allow);
    for (int i = 1; i < 40; i += 2)  // 20 networks, more than 16: an anonymous set
      r->src.push_back(pfx(("10.20." + std::to_string(i) + ".0/24").c_str()));
  }
  return p;
}

// N rules spread over the logical pairs of 8 zones (4 with v6 networks), each
// with its own source /32 and a port, like a big exchange plan.
inline CompiledPolicy bigPolicy(size_t n) {
  CompiledPolicy p;
  p.name = "big-" + std::to_string(n);
  p.digest = "sha256:" + std::string(64, 'a');
  const int zones = 8;
  std::vector<std::pair<int, int>> logical;
  for (int i = 0; i < zones; ++i) {
    p.zones.push_back({"z" + std::to_string(i), Level::Internal, i == zones - 1, true});
    if (i < zones - 1) p.prefixes4.push_back({pfx(("10." + std::to_string(i) + ".0.0/16").c_str()), static_cast<uint16_t>(i)});
    if (i < 4) p.prefixes6.push_back({pfx(("fd0" + std::to_string(i) + "::/48").c_str()), static_cast<uint16_t>(i)});
    for (int j = i + 1; j < zones; ++j)
      if (i != 0) logical.push_back({i, j});
  }
  p.anyZone = zones - 1;
  setMatrix(p, logical);
  for (size_t k = 0; k < n; ++k) {
    const auto& [a, b] = logical[k % logical.size()];
    CompiledRule r;
    r.id = static_cast<uint32_t>(k);
    r.name = "r" + std::to_string(k);
    r.fromZone = static_cast<uint16_t>(k % 2 ? a : b);
    r.toZone = static_cast<uint16_t>(k % 2 ? b : a);
    const size_t host = k / logical.size();
    if (r.fromZone != zones - 1) {
      const std::string src = "10." + std::to_string(r.fromZone) + "." + std::to_string((host / 250) % 256) + "." +
                              std::to_string(host % 250 + 1) + "/32";
      r.src = {pfx(src.c_str())};
    }
    r.terms = {tcpPort(static_cast<uint16_t>(1000 + k % 50000), static_cast<uint16_t>(1000 + k % 50000))};
    r.action = k % 10 == 9 ? Action::Deny : Action::Allow;
    p.rules.push_back(std::move(r));
  }
  return p;
}

// `n` rules all in one zone pair (z1 > z2 of bigPolicy's zones): one pair
// chain long enough to be cut into parts.
inline CompiledPolicy onePairPolicy(size_t n) {
  CompiledPolicy p = bigPolicy(0);
  for (size_t k = 0; k < n; ++k) {
    CompiledRule r;
    r.id = static_cast<uint32_t>(k);
    r.name = "r" + std::to_string(k);
    r.fromZone = 1;
    r.toZone = 2;
    r.src = {pfx(("10.1." + std::to_string(k / 250) + "." + std::to_string(k % 250 + 1) + "/32").c_str())};
    r.terms = {tcpPort(static_cast<uint16_t>(1000 + k), static_cast<uint16_t>(1000 + k))};
    r.action = k % 10 == 9 ? Action::Deny : Action::Allow;
    p.rules.push_back(std::move(r));
  }
  return p;
}

}  // namespace isogate::policy::testing
