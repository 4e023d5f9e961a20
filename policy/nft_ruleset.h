// The one structured model of the nftables ruleset that enforces a compiled
// policy. Both emitters (nft_text.h: the script an officer reviews; gateway/
// nft_netlink.h: the batch the kernel gets) render this same value, so what is
// reviewed is what is loaded. Design and NFLOG numbering: docs/design-nftables.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/address.h"
#include "policy/compiled.h"

namespace isogate::policy {

inline constexpr const char* kNftTable = "isogate";  // always family inet

// NFLOG groups, one per violation class (SPEC §4). The management daemon binds
// to these numbers; they are part of the contract between the two.
inline constexpr uint16_t kNflogPhysicalIsolation = 1;
inline constexpr uint16_t kNflogIsolationBreach = 2;
inline constexpr uint16_t kNflogLogicalIsolation = 3;
inline constexpr uint16_t kNflogSpoofedSource = 4;
inline constexpr uint16_t kNflogMalformed = 5;
inline constexpr uint16_t kNflogFlowAllowed = 6;
// `fault` (SPEC §4): a new flow the policy admits refused because the flow limit
// (NftBuildOptions::flowLimit, gateway config `flows.max`) is reached. Rate-limited.
inline constexpr uint16_t kNflogFault = 7;
// The flow limit's chains and counter (present only when a limit is configured).
inline constexpr const char* kNftFlowAdmitChain = "flow_admit";
inline constexpr const char* kNftFlowRefuseChain = "flow_refuse";
inline constexpr const char* kNftFlowTableFullCounter = "flow_table_full";
// Refusals logged (and so reported as `fault` events): at most this many a second after a
// burst of kNftFlowRefuseLogBurst; the counter counts every one.
inline constexpr uint32_t kNftFlowRefuseLogPerSecond = 1;
inline constexpr uint32_t kNftFlowRefuseLogBurst = 5;
inline constexpr size_t kNftLogPrefixMax = 127;  // kernel NF_LOG_PREFIXLEN - 1
// A pair chain longer than this is cut into parts `<chain>__1`, `__2`, ...
// jumped to in order (why: nft_ruleset.cc, addRulesInParts).
inline constexpr size_t kNftMaxRulesPerChain = 1000;

// What a match expression reads. Addresses are family specific; a rule that
// reads one always also matches NfProto first (as nft itself would add).
enum class NftField : uint8_t {
  NfProto,     // meta nfproto (1 byte: 2 ipv4, 10 ipv6)
  L4Proto,     // meta l4proto (1 byte)
  IifName,     // meta iifname (16 bytes, NUL padded)
  OifName,     // meta oifname
  Saddr4,      // ip saddr
  Daddr4,      // ip daddr
  Saddr6,      // ip6 saddr
  Daddr6,      // ip6 daddr
  ThDport,     // th dport (transport header + 2, 2 bytes, network order)
  IcmpType,    // icmp type (transport header + 0, 1 byte)
  Icmpv6Type,  // icmpv6 type
  CtState,     // ct state (bitmask)
  MetaDay,     // meta day (1 byte, 0 = sunday, kernel's sys_tz)
  MetaHour,    // meta hour (seconds since UTC midnight, host order in the kernel)
};

// ct state bits as the kernel defines them (NF_CT_STATE_BIT).
inline constexpr uint32_t kCtInvalid = 1, kCtEstablished = 2, kCtRelated = 4, kCtNew = 8;
inline constexpr uint8_t kNfprotoIpv4 = 2, kNfprotoIpv6 = 10;

struct NftInterval {
  U128 first = 0, last = 0;  // inclusive
  friend bool operator==(const NftInterval&, const NftInterval&) = default;
};

enum class NftVerdictKind : uint8_t { None, Accept, Drop, Jump, Goto };

struct NftVerdict {
  NftVerdictKind kind = NftVerdictKind::None;
  std::string chain;  // Jump / Goto
  friend bool operator==(const NftVerdict&, const NftVerdict&) = default;
};

// One match. Exactly one of these forms, by field:
//  - CtState: `mask` (matches when any bit is set);
//  - IifName/OifName: `text`;
//  - everything else: `setName` (@set lookup) or `values` (one value or range =
//    compare; several = an anonymous interval set). For addresses an interval
//    that is a prefix is compared as a prefix, as nft does.
struct NftMatch {
  NftField field = NftField::NfProto;
  bool negate = false;
  uint32_t mask = 0;
  std::string text;
  std::string setName;
  std::vector<NftInterval> values;
  friend bool operator==(const NftMatch&, const NftMatch&) = default;
};

struct NftLog {
  uint16_t group = 0;
  std::string prefix;
  friend bool operator==(const NftLog&, const NftLog&) = default;
};

// `limit rate <perSecond>/second burst <burst> packets`: matches while under the rate.
struct NftLimit {
  uint32_t perSecond = 1;
  uint32_t burst = 5;
  friend bool operator==(const NftLimit&, const NftLimit&) = default;
};

// A verdict-map dispatch statement: `<field> vmap @<map>`.
struct NftVmap {
  NftField field = NftField::Saddr4;
  std::string map;
  friend bool operator==(const NftVmap&, const NftVmap&) = default;
};

// matches, then `ct count over N`, then statements in this order: named counter, limit,
// log, vmap or verdict.
struct NftRule {
  std::vector<NftMatch> matches;
  // `ct count over N` (kernel connlimit, inverted): adds the packet's connection to this
  // rule's own count and matches while more than N connections are counted. After every
  // other match, so only packets that matched the rest are counted.
  std::optional<uint32_t> ctCountOver;
  std::string counter;  // named counter object, empty = none
  std::optional<NftLimit> limit;
  std::optional<NftLog> log;
  std::optional<NftVmap> vmap;
  NftVerdict verdict;
  std::string comment;  // the policy rule name, or what the rule is for
  friend bool operator==(const NftRule&, const NftRule&) = default;
};

enum class NftHook : uint8_t { Input, Forward, Output };

struct NftBaseChain {
  NftHook hook = NftHook::Forward;
  int priority = 0;  // filter
  bool policyDrop = true;
  friend bool operator==(const NftBaseChain&, const NftBaseChain&) = default;
};

struct NftChain {
  std::string name;
  std::optional<NftBaseChain> base;  // nullopt = regular chain (jump target)
  std::vector<NftRule> rules;
  friend bool operator==(const NftChain&, const NftChain&) = default;
};

enum class NftKeyType : uint8_t { Ipv4Addr, Ipv6Addr };

struct NftElement {
  NftInterval key;
  NftVerdict verdict;  // maps only
  friend bool operator==(const NftElement&, const NftElement&) = default;
};

// A named interval set (`isMap` = false) or verdict map. Elements are sorted
// and pairwise disjoint (the kernel rejects overlaps).
struct NftSet {
  std::string name;
  NftKeyType key = NftKeyType::Ipv4Addr;
  bool isMap = false;
  std::vector<NftElement> elements;
  friend bool operator==(const NftSet&, const NftSet&) = default;
};

struct NftCounter {
  std::string name;
  friend bool operator==(const NftCounter&, const NftCounter&) = default;
};

// The whole table `inet isogate`. Declaration order is also load order.
struct NftRuleset {
  std::string policyName, policyDigest;  // for the script header
  std::vector<NftCounter> counters;
  std::vector<NftSet> sets;
  std::vector<NftChain> chains;

  const NftChain* findChain(const std::string& name) const;
  const NftSet* findSet(const std::string& name) const;
  size_t ruleCount() const;
  friend bool operator==(const NftRuleset&, const NftRuleset&) = default;
};

// An interface of the gateway as the ruleset needs it (kept apart from the
// gateway configuration type on purpose). `zone` is a zone id of the policy.
struct NftInterface {
  std::string name;  // kernel interface name
  uint16_t zone = 0;
  bool monitor = false;
};

struct NftBuildOptions {
  std::vector<NftInterface> interfaces;  // empty: no anti-spoofing, no monitor rules
  // Schedules are local time (SPEC §1); the kernel's `meta hour` is UTC and
  // `meta day` follows the kernel's sys_tz, so both offsets are fixed at build
  // time. A change of offset (DST) needs a re-render: see the design notes.
  int utcOffsetMinutes = 0;     // local = UTC + this
  int kernelTzMinutesWest = 0;  // the kernel's sys_tz.tz_minuteswest
  // At most this many flows the policy admits at once (gateway config `flows.max`); 0 = no
  // limit of isogate's own. Every allow verdict for a new flow becomes `jump flow_admit`,
  // which counts the flow (`ct count over N`) and refuses it past the limit: see
  // docs/design-nftables.md, "Flow limit".
  uint32_t flowLimit = 0;
};

// Options with the offsets of this host now (localtime, gettimeofday's tz).
NftBuildOptions hostNftBuildOptions();

NftRuleset buildNftRuleset(const CompiledPolicy& policy, const NftBuildOptions& options = {});

// Names used by the builder, so backends and tests need not guess them.
std::string nftRuleCounterName(const CompiledRule& rule);                  // "rule_<name>"
std::string nftPairChainName(const CompiledPolicy& p, uint16_t from, uint16_t to);  // "pair_<a>_<b>"
std::string nftZoneSetName(const CompiledPolicy& p, uint16_t zone, Family f);       // "zone_<z>_v4"
// "isogate:<type>:<rule id or ->:<detail>", cut to kNftLogPrefixMax.
std::string nftLogPrefix(const std::string& type, int ruleId, const std::string& detail);

// The number of nft rules a compiled rule lowers to (terms x families x
// schedule pieces); 0 means it can never match and is left out.
size_t nftRulesForPolicyRule(const CompiledRule& rule, const NftBuildOptions& options);

}  // namespace isogate::policy
