// Everything the workers need to judge packets under one policy, built off the
// fast path as one immutable object: zone lookup, isolation matrix, per-pair
// classifiers of the rules active at build time, rule metadata, the ports'
// zone ids, and the per-worker rule / zone-pair counters. Published to the
// workers through an RCU-protected pointer (see dataplane.h); never edited.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dataplane/classifier.h"
#include "dataplane/config.h"
#include "dataplane/counters.h"
#include "dataplane/zone_table.h"
#include "policy/compiled.h"

namespace isogate::dataplane {

struct RuleMeta {
  bool allow = false;
  bool log = false;
};

class PolicyTables {
 public:
  // Builds the tables for `policy` with the rules whose schedule is active at
  // `now`. nullptr with *error when a port's zone is not in the policy or
  // rte_acl fails; nothing is published then.
  static std::unique_ptr<PolicyTables> build(std::shared_ptr<const policy::CompiledPolicy> policy,
                                             const DataplaneConfig& config,
                                             const policy::LocalTime& now, uint32_t generation,
                                             std::string* error);

  // Which rules are active at `now` (rules without a schedule always are).
  static std::vector<bool> activeRules(const policy::CompiledPolicy& policy,
                                       const policy::LocalTime& now);

  uint32_t generation() const { return generation_; }
  const policy::CompiledPolicy& policy() const { return *policy_; }
  const std::shared_ptr<const policy::CompiledPolicy>& policyPtr() const { return policy_; }
  const std::vector<bool>& active() const { return active_; }
  const ZoneTable& zones() const { return zones_; }
  const Classifier& classifier() const { return classifier_; }
  uint16_t zoneCount() const { return zoneCount_; }
  policy::PairKind pair(uint16_t from, uint16_t to) const noexcept {
    return static_cast<policy::PairKind>(matrix_[from * zoneCount_ + to]);
  }
  bool intraAllow(uint16_t zone) const noexcept { return intraAllow_[zone]; }
  uint16_t portZone(uint16_t port) const noexcept { return portZone_[port]; }
  const RuleMeta& rule(uint32_t i) const noexcept { return rules_[i]; }
  size_t ruleCount() const { return rules_.size(); }

  PacketBytes& ruleCounter(unsigned worker, uint32_t rule) noexcept {
    return ruleCounters_[worker][rule];
  }
  PairCounters& pairCounter(unsigned worker, uint16_t from, uint16_t to) noexcept {
    return pairCounters_[worker][from * zoneCount_ + to];
  }
  // Sums over workers.
  std::vector<PacketBytesTotal> ruleTotals() const;
  std::vector<PairTotals> pairTotals() const;  // zoneCount^2, row = source zone

 private:
  std::shared_ptr<const policy::CompiledPolicy> policy_;
  uint32_t generation_ = 0;
  uint16_t zoneCount_ = 0;
  std::vector<uint8_t> matrix_;
  std::vector<uint8_t> intraAllow_;
  uint16_t portZone_[kMaxPorts] = {};
  std::vector<RuleMeta> rules_;
  std::vector<bool> active_;
  ZoneTable zones_;
  Classifier classifier_;
  std::vector<std::unique_ptr<PacketBytes[]>> ruleCounters_;
  std::vector<std::unique_ptr<PairCounters[]>> pairCounters_;
};

}  // namespace isogate::dataplane
