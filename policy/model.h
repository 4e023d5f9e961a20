// The policy model: what an officer wrote in YAML, with the source location of
// every entry and value so that later passes can point at it. The loader
// builds it; the checker, compiler, trace, diff and graph read it. It is plain
// data with no behaviour beyond small lookups.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/address.h"
#include "policy/diagnostics.h"

namespace isogate::policy {

template <class T>
struct Located {
  T value{};
  Location where;
};

enum class Level : uint8_t { Public = 0, Internal = 1, Classified = 2 };
enum class IsolationMode : uint8_t { Physical, Logical };
enum class Action : uint8_t { Allow, Deny };

// IP protocol numbers used by the policy language.
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpv6 = 58;

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 65535;
  bool contains(uint16_t p) const { return p >= first && p <= last; }
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

// One protocol of a service: `tcp: [443, "1024-65535"]`, `icmp: [echo-request]`.
// For tcp/udp `ports` lists destination port ranges; for icmp/icmpv6
// `icmpTypes` lists types. Both are never empty after loading (a protocol
// with "any port" holds the single range 0-65535).
struct ServiceTerm {
  uint8_t protocol = kProtoTcp;
  std::vector<PortRange> ports;
  std::vector<uint8_t> icmpTypes;
  Location where;
};

struct Zone {
  std::string name;
  Location where;  // the zone's key
  std::string description;
  Level level = Level::Public;
  Location levelWhere;
  std::vector<Located<Prefix>> networks;  // the explicit networks (not `any`)
  bool isAny = false;                     // networks: [any]
  Location anyWhere;
  bool intraZoneAllow = true;  // intra_zone: allow | deny
};

struct IsolationPair {
  std::string a, b;
  Location aWhere, bWhere;
  IsolationMode mode = IsolationMode::Logical;
  Location where;  // the pair entry
};

struct Service {
  std::string name;
  Location where;
  std::vector<ServiceTerm> terms;
};

// A rule's `from` or `to`: a zone name or {zone: Z, networks: [...]}.
struct Endpoint {
  std::string zone;
  Location zoneWhere;  // the zone name's value
  std::vector<Located<Prefix>> networks;  // empty = the whole zone
  Location where;                         // the `from`/`to` key
};

// A reference in a rule's `services` list: a name, or an inline mapping.
struct ServiceRef {
  std::string name;  // empty for an inline service
  std::vector<ServiceTerm> inlineTerms;
  Location where;
};

struct Schedule {
  uint8_t days = 0x7f;        // bit 0 = monday ... bit 6 = sunday
  uint16_t startMinute = 0;   // minutes after midnight, 0..1439
  uint16_t endMinute = 1440;  // 1..1440; end < start runs past midnight
  Location where;
  friend bool operator==(const Schedule& a, const Schedule& b) {
    return a.days == b.days && a.startMinute == b.startMinute && a.endMinute == b.endMinute;
  }
};

struct Rule {
  std::string name;
  Location where;  // the rule entry's first line
  Location nameWhere;
  Endpoint from, to;
  bool anyService = true;  // `services` omitted
  std::vector<ServiceRef> services;
  Action action = Action::Deny;
  bool log = false;
  std::string ref;
  std::optional<Schedule> schedule;
};

struct Policy {
  std::string file;  // as given on the command line
  int version = 0;
  std::string name;
  std::vector<Zone> zones;
  IsolationMode defaultMode = IsolationMode::Physical;
  Location defaultWhere;
  std::vector<IsolationPair> pairs;
  std::vector<Service> services;
  std::vector<Rule> rules;

  const Zone* findZone(const std::string& n) const;
  const Service* findService(const std::string& n) const;
  // Isolation between two distinct zones: the listed pair, else the default.
  IsolationMode isolation(const std::string& a, const std::string& b) const;
};

// Local wall-clock time for schedules (the gateway's local time).
struct LocalTime {
  uint8_t weekday = 0;  // 0 = monday ... 6 = sunday
  uint16_t minute = 0;  // minutes after midnight
};

LocalTime localTimeNow();
// Whether a schedule is active at t. A window that ends before it starts runs
// past midnight and belongs to the day it starts on.
bool scheduleActive(const Schedule& s, const LocalTime& t);

const char* levelName(Level l);
const char* modeName(IsolationMode m);
const char* actionName(Action a);
// "tcp", "udp", "icmp", "icmpv6" or the number.
std::string protocolName(uint8_t proto);
// ICMP / ICMPv6 type names of the policy language ("echo-request", ...).
std::optional<uint8_t> icmpTypeByName(uint8_t proto, const std::string& name);
std::string icmpTypeName(uint8_t proto, uint8_t type);

}  // namespace isogate::policy
