// The compiled intermediate form (IR) of a policy: what every backend consumes.
// Zone prefix tables (disjoint, sorted), the isolation matrix, and the ordered
// rules lowered to match ranges. Built once by the compiler, checked by the
// verifier, then immutable and shared. Zone ids are the zones' order in the
// policy file; rule ids are their order in the file (first match wins).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/address.h"
#include "policy/model.h"

namespace isogate::policy {

enum class PairKind : uint8_t { Intra = 0, Physical = 1, Logical = 2 };

struct CompiledZone {
  std::string name;
  Level level = Level::Public;
  bool isAny = false;
  bool intraZoneAllow = true;
};

struct ZonePrefix {
  Prefix prefix;
  uint16_t zone = 0;
};

// One match range of a rule. A packet matches when its protocol is in
// [protoFirst, protoLast] and, for TCP/UDP, its destination port is in
// [portFirst, portLast], and, for ICMP/ICMPv6, its type is in
// [icmpFirst, icmpLast]. "Any service" is the full range of everything.
struct MatchTerm {
  uint8_t protoFirst = 0, protoLast = 255;
  uint16_t portFirst = 0, portLast = 65535;
  uint8_t icmpFirst = 0, icmpLast = 255;
  friend bool operator==(const MatchTerm&, const MatchTerm&) = default;
};

struct CompiledRule {
  uint32_t id = 0;
  std::string name;
  std::string ref;
  Location where;
  uint16_t fromZone = 0, toZone = 0;
  std::vector<Prefix> src, dst;  // empty = the whole zone; else also restricted to these
  std::vector<MatchTerm> terms;  // never empty
  Action action = Action::Deny;
  bool log = false;
  std::optional<Schedule> schedule;
};

struct CompiledPolicy {
  std::string name;
  std::string sourceFile;
  std::vector<CompiledZone> zones;
  std::vector<ZonePrefix> prefixes4, prefixes6;  // sorted by base, pairwise disjoint; not the `any` zone
  int anyZone = -1;                               // the catch-all zone, or -1
  std::vector<PairKind> matrix;                   // zones.size()^2, row = from zone
  std::vector<CompiledRule> rules;
  std::string digest;  // "sha256:" + 64 hex, over the canonical content (not locations)

  PairKind pair(uint16_t from, uint16_t to) const { return matrix[from * zones.size() + to]; }
  // Zone of an address: the prefix table, else the `any` zone; nullopt when neither.
  std::optional<uint16_t> zoneOf(const IpAddress& a) const;
  int findZone(const std::string& name) const;
};

// A packet as the policy sees it (first packet of a flow).
struct PacketKey {
  IpAddress src, dst;
  uint8_t protocol = kProtoTcp;
  uint16_t sport = 0, dport = 0;  // TCP/UDP only
  int icmpType = -1;              // ICMP/ICMPv6 only
};

enum class PathKind : uint8_t { IntraZone, Physical, Logical, Unzoned };
const char* pathKindName(PathKind k);  // "intra-zone", "physical", "logical", "unzoned"

struct Verdict {
  bool allow = false;
  int fromZone = -1, toZone = -1;  // -1 when the address is in no zone
  PathKind path = PathKind::Unzoned;
  int rule = -1;  // index of the deciding rule, -1 when no rule decided
  friend bool operator==(const Verdict&, const Verdict&) = default;
};

bool termMatches(const MatchTerm& t, const PacketKey& p);

}  // namespace isogate::policy
