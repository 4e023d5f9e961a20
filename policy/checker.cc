// Pass 2: cross-entry semantics of a loaded policy. Tolerates a partially
// loaded model (names may be empty after load errors) and never stops early:
// every problem found is reported.
#include "policy/checker.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "policy/checker_shadow.h"
#include "policy/spelling.h"

namespace isogate::policy {

namespace {

bool isLater(const Location& a, const Location& b) {
  return a.line != b.line ? a.line > b.line : a.column > b.column;
}

std::string lineOf(const Location& l) { return "line " + std::to_string(l.line); }

std::pair<std::string, std::string> ordered(const std::string& a, const std::string& b) {
  return a < b ? std::make_pair(a, b) : std::make_pair(b, a);
}

class Checker {
 public:
  Checker(const Policy& p, Diagnostics& d) : p_(p), d_(d) {
    for (size_t i = 0; i < p.zones.size(); ++i) {
      zoneIndex_.emplace(p.zones[i].name, static_cast<int>(i));
      zoneNames_.push_back(p.zones[i].name);
    }
    for (const auto& s : p.services) {
      serviceIndex_.emplace(s.name, &s);
      serviceNames_.push_back(s.name);
    }
    zoneUsed_.assign(p.zones.size(), false);
  }

  void run() {
    checkAnyZones();
    checkOverlaps();
    checkPairs();
    checkDefaultIsolation();
    checkRules();
    detail::warnShadowedRules(p_, facts_, d_);
    warnUnused();
    warnSilentPairs();
  }

 private:
  int zone(const std::string& name) const {
    const auto it = zoneIndex_.find(name);
    return it == zoneIndex_.end() ? -1 : it->second;
  }

  IsolationMode mode(const std::string& a, const std::string& b) const {
    const auto it = pairModes_.find(ordered(a, b));
    return it == pairModes_.end() ? p_.defaultMode : it->second;
  }

  void checkAnyZones() {
    const Zone* first = nullptr;
    for (const auto& z : p_.zones) {
      if (!z.isAny) continue;
      if (first) {
        d_.error(z.anyWhere, "zone '" + z.name + "' is a second catch-all zone; zone '" +
                                 first->name + "' (" + lineOf(first->anyWhere) +
                                 ") already says 'any'");
      } else {
        first = &z;
      }
    }
  }

  // Sorted by start, enclosing prefixes first: with a stack of open prefixes
  // each network meets the ones that contain it, in O(n log n).
  void checkOverlaps() {
    struct Net {
      Prefix prefix;
      int zone;
      Location where;
    };
    std::vector<Net> nets;
    for (size_t i = 0; i < p_.zones.size(); ++i)
      for (const auto& n : p_.zones[i].networks)
        nets.push_back({n.value, static_cast<int>(i), n.where});
    std::stable_sort(nets.begin(), nets.end(), [](const Net& a, const Net& b) {
      if (a.prefix.family != b.prefix.family) return a.prefix.family < b.prefix.family;
      if (a.prefix.base != b.prefix.base) return a.prefix.base < b.prefix.base;
      return a.prefix.length < b.prefix.length;
    });
    std::vector<const Net*> open;
    for (const auto& n : nets) {
      while (!open.empty() && !open.back()->prefix.contains(n.prefix)) open.pop_back();
      // Every containing network of another zone is a conflict (a few at most
      // per network); of our own zone only the nearest is worth a warning.
      bool sameZoneSeen = false;
      int reported = 0;
      for (auto it = open.rbegin(); it != open.rend() && reported < 5; ++it) {
        if ((*it)->zone == n.zone) {
          if (sameZoneSeen) continue;
          sameZoneSeen = true;
        }
        reportOverlap(**it, n);
        ++reported;
      }
      open.push_back(&n);
    }
  }

  template <class Net>
  void reportOverlap(const Net& a, const Net& b) {
    const Net& later = isLater(a.where, b.where) ? a : b;
    const Net& earlier = &later == &a ? b : a;
    const std::string& laterZone = p_.zones[static_cast<size_t>(later.zone)].name;
    const std::string& earlierZone = p_.zones[static_cast<size_t>(earlier.zone)].name;
    if (a.zone == b.zone) {
      d_.warning(later.where, "network " + toString(later.prefix) + " of zone '" + laterZone +
                                  "' overlaps " + toString(earlier.prefix) + " of the same zone (" +
                                  lineOf(earlier.where) + ")");
      return;
    }
    d_.error(later.where, "network " + toString(later.prefix) + " of zone '" + laterZone +
                              "' overlaps " + toString(earlier.prefix) + " of zone '" +
                              earlierZone + "' (" + lineOf(earlier.where) + ")");
  }

  bool knownZone(const std::string& name, const Location& where, const std::string& context) {
    if (name.empty()) return false;  // the loader already reported it
    const int z = zone(name);
    if (z >= 0) {
      zoneUsed_[static_cast<size_t>(z)] = true;
      return true;
    }
    d_.error(where, "undefined zone '" + name + "'" + context + didYouMean(name, zoneNames_));
    return false;
  }

  void checkPairs() {
    std::map<std::pair<std::string, std::string>, const IsolationPair*> seen;
    for (const auto& pair : p_.pairs) {
      const bool aOk = knownZone(pair.a, pair.aWhere, " in isolation pair");
      const bool bOk = knownZone(pair.b, pair.bWhere, " in isolation pair");
      if (pair.a == pair.b) {
        d_.error(pair.bWhere, "isolation pair names zone '" + pair.a + "' twice");
        continue;
      }
      const auto key = ordered(pair.a, pair.b);
      if (const auto it = seen.find(key); it != seen.end()) {
        d_.error(pair.where, "isolation pair " + pair.a + "/" + pair.b +
                                 " is listed twice (first at " + lineOf(it->second->where) + ")");
        continue;
      }
      seen.emplace(key, &pair);
      pairModes_.emplace(key, pair.mode);
      if (!aOk || !bOk) continue;
      if (pair.mode == IsolationMode::Logical) {
        for (const auto* name : {&pair.a, &pair.b}) {
          const Zone& z = p_.zones[static_cast<size_t>(zone(*name))];
          if (z.level == Level::Classified) {
            d_.error(pair.where, "zone '" + z.name + "' is classified and may only be physically " +
                                     "isolated, but pair " + pair.a + "/" + pair.b + " is logical");
          }
        }
        logicalPairs_.push_back(&pair);
      }
    }
  }

  // A logical default would put every classified zone in logical pairs that
  // no entry lists; the regulation forbids that as much as an explicit pair.
  void checkDefaultIsolation() {
    if (p_.defaultMode != IsolationMode::Logical) return;
    for (const auto& z : p_.zones) {
      if (z.level != Level::Classified) continue;
      std::string others;
      for (const auto& o : p_.zones) {
        if (o.name == z.name || mode(z.name, o.name) == IsolationMode::Physical) continue;
        if (pairModes_.count(ordered(z.name, o.name))) continue;  // reported at the pair
        others += (others.empty() ? "" : ", ") + o.name;
      }
      if (!others.empty()) {
        d_.error(p_.defaultWhere, "isolation default 'logical' makes classified zone '" + z.name +
                                      "' logically isolated from " + others +
                                      "; list those pairs with mode: physical");
      }
    }
  }

  std::string label(const Rule& r, size_t i) const {
    return r.name.empty() ? "rule #" + std::to_string(i + 1) : "rule '" + r.name + "'";
  }

  // A rule's networks must lie inside its zone; for the catch-all zone, they
  // must not lie inside another zone.
  void checkRuleNetworks(const Endpoint& ep, int z, const std::string& ruleLabel) {
    const Zone& zn = p_.zones[static_cast<size_t>(z)];
    for (const auto& n : ep.networks) {
      if (zn.isAny) {
        for (const auto& other : p_.zones) {
          if (other.isAny) continue;
          const auto it = std::find_if(other.networks.begin(), other.networks.end(),
                                       [&](const auto& o) { return o.value.contains(n.value); });
          if (it != other.networks.end()) {
            d_.error(n.where, "network " + toString(n.value) + " in " + ruleLabel +
                                  " belongs to zone '" + other.name + "', not to '" + zn.name +
                                  "'");
            break;
          }
        }
        continue;
      }
      const bool inside = std::any_of(zn.networks.begin(), zn.networks.end(),
                                      [&](const auto& o) { return o.value.contains(n.value); });
      if (!inside) {
        d_.error(n.where, "network " + toString(n.value) + " in " + ruleLabel +
                              " is not inside zone '" + zn.name + "'");
      }
    }
  }

  void checkRules() {
    facts_.resize(p_.rules.size());
    serviceUsed_.clear();
    for (size_t i = 0; i < p_.rules.size(); ++i) {
      const Rule& r = p_.rules[i];
      const std::string name = label(r, i);
      detail::RuleFacts& f = facts_[i];
      const std::string context = " in " + name;
      const bool fromOk = knownZone(r.from.zone, r.from.zoneWhere, context);
      const bool toOk = knownZone(r.to.zone, r.to.zoneWhere, context);
      f.ok = fromOk && toOk;
      for (const auto& ref : r.services) {
        if (ref.name.empty()) continue;
        if (serviceIndex_.count(ref.name)) {
          serviceUsed_.insert(ref.name);
        } else {
          d_.error(ref.where, "undefined service '" + ref.name + "'" + context +
                                  didYouMean(ref.name, serviceNames_));
          f.ok = false;
        }
      }
      if (!fromOk || !toOk) continue;
      f.from = zone(r.from.zone);
      f.to = zone(r.to.zone);
      if (f.from != f.to) {
        rulePairs_.insert(ordered(r.from.zone, r.to.zone));
        if (mode(r.from.zone, r.to.zone) == IsolationMode::Physical) {
          const std::string zones = r.from.zone + " and " + r.to.zone;
          d_.error(r.to.zoneWhere,
                   r.action == Action::Allow
                       ? name + " allows traffic between physically isolated zones " + zones
                       : name + " names physically isolated zones " + zones +
                             "; no rule may cross a physical pair");
          f.ok = false;
        }
      }
      checkRuleNetworks(r.from, f.from, name);
      checkRuleNetworks(r.to, f.to, name);
    }
  }

  void warnUnused() {
    for (const auto& s : p_.services) {
      if (!serviceUsed_.count(s.name)) {
        d_.warning(s.where, "service '" + s.name + "' is defined but no rule uses it");
      }
    }
    for (size_t i = 0; i < p_.zones.size(); ++i) {
      const Zone& z = p_.zones[i];
      // A classified zone's job is to be isolated: naming it nowhere is normal.
      if (zoneUsed_[i] || z.level == Level::Classified) continue;
      d_.warning(z.where,
                 "zone '" + z.name + "' is defined but no rule or isolation pair names it");
    }
  }

  void warnSilentPairs() {
    for (const IsolationPair* pair : logicalPairs_) {
      if (!rulePairs_.count(ordered(pair->a, pair->b))) {
        d_.warning(pair->where, "logical pair " + pair->a + "/" + pair->b +
                                    " has no rule; all traffic between them is denied");
      }
    }
  }

  const Policy& p_;
  Diagnostics& d_;
  std::unordered_map<std::string, int> zoneIndex_;
  std::vector<std::string> zoneNames_;
  std::unordered_map<std::string, const Service*> serviceIndex_;
  std::vector<std::string> serviceNames_;
  std::vector<bool> zoneUsed_;
  std::set<std::string> serviceUsed_;
  std::map<std::pair<std::string, std::string>, IsolationMode> pairModes_;
  std::vector<const IsolationPair*> logicalPairs_;
  std::set<std::pair<std::string, std::string>> rulePairs_;
  std::vector<detail::RuleFacts> facts_;
};

}  // namespace

void checkPolicy(const Policy& policy, Diagnostics& diags) { Checker(policy, diags).run(); }

}  // namespace isogate::policy
