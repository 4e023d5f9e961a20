#include "dataplane/policy_tables.h"

namespace isogate::dataplane {

std::vector<bool> PolicyTables::activeRules(const policy::CompiledPolicy& policy,
                                            const policy::LocalTime& now) {
  std::vector<bool> active(policy.rules.size(), true);
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    if (policy.rules[i].schedule)
      active[i] = policy::scheduleActive(*policy.rules[i].schedule, now);
  }
  return active;
}

std::unique_ptr<PolicyTables> PolicyTables::build(
    std::shared_ptr<const policy::CompiledPolicy> policy, const DataplaneConfig& config,
    const policy::LocalTime& now, uint32_t generation, std::string* error) {
  auto t = std::make_unique<PolicyTables>();
  const policy::CompiledPolicy& p = *policy;
  const size_t n = p.zones.size();
  if (n == 0 || n >= kNoZone) {
    *error = "policy has no zones";
    return nullptr;
  }
  if (p.matrix.size() != n * n) {
    *error = "policy matrix has the wrong size";
    return nullptr;
  }
  t->zoneCount_ = static_cast<uint16_t>(n);
  t->generation_ = generation;
  for (auto k : p.matrix) t->matrix_.push_back(static_cast<uint8_t>(k));
  for (const auto& z : p.zones) t->intraAllow_.push_back(z.intraZoneAllow);
  for (size_t i = 0; i < config.ports.size() && i < kMaxPorts; ++i) {
    const int z = p.findZone(config.ports[i].zone);
    if (z < 0) {
      *error = "port '" + config.ports[i].name + "': zone '" + config.ports[i].zone +
               "' is not in policy '" + p.name + "'";
      return nullptr;
    }
    t->portZone_[i] = static_cast<uint16_t>(z);
  }
  // Forwarding between two physically isolated zones would make the gateway the forbidden link.
  for (size_t i = 0; i < config.ports.size() && i < kMaxPorts; ++i) {
    for (size_t j = i + 1; j < config.ports.size() && j < kMaxPorts; ++j) {
      if (config.ports[i].monitor || config.ports[j].monitor) continue;
      if (t->pair(t->portZone_[i], t->portZone_[j]) == policy::PairKind::Physical) {
        *error = "ports '" + config.ports[i].name + "' and '" + config.ports[j].name +
                 "' forward between zones '" + config.ports[i].zone + "' and '" +
                 config.ports[j].zone + "', which policy '" + p.name + "' isolates physically";
        return nullptr;
      }
    }
  }
  for (const auto& r : p.rules) t->rules_.push_back({r.action == policy::Action::Allow, r.log});
  t->active_ = activeRules(p, now);
  t->zones_.build(p);
  if (!t->classifier_.build(p, t->active_, error)) return nullptr;
  const unsigned workers = config.workers == 0 ? 1 : config.workers;
  for (unsigned w = 0; w < workers; ++w) {
    t->ruleCounters_.push_back(std::make_unique<PacketBytes[]>(t->rules_.size() + 1));
    t->pairCounters_.push_back(std::make_unique<PairCounters[]>(n * n));
  }
  t->policy_ = std::move(policy);
  return t;
}

std::vector<PacketBytesTotal> PolicyTables::ruleTotals() const {
  std::vector<PacketBytesTotal> out(rules_.size());
  for (const auto& w : ruleCounters_) {
    for (size_t i = 0; i < rules_.size(); ++i) {
      out[i].packets += w[i].packets.load(std::memory_order_relaxed);
      out[i].bytes += w[i].bytes.load(std::memory_order_relaxed);
    }
  }
  return out;
}

std::vector<PairTotals> PolicyTables::pairTotals() const {
  std::vector<PairTotals> out(size_t{zoneCount_} * zoneCount_);
  for (const auto& w : pairCounters_) {
    for (size_t i = 0; i < out.size(); ++i) {
      out[i].forwarded.packets += w[i].forwarded.packets.load(std::memory_order_relaxed);
      out[i].forwarded.bytes += w[i].forwarded.bytes.load(std::memory_order_relaxed);
      out[i].dropped.packets += w[i].dropped.packets.load(std::memory_order_relaxed);
      out[i].dropped.bytes += w[i].dropped.bytes.load(std::memory_order_relaxed);
    }
  }
  return out;
}

}  // namespace isogate::dataplane
