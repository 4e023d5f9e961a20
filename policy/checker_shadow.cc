#include "policy/checker_shadow.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace isogate::policy::detail {

namespace {

// A service set normalised to sorted, merged spans per protocol: ports for
// TCP/UDP, types for ICMP/ICMPv6.
struct Span {
  uint8_t proto;
  uint16_t lo, hi;
};

struct Services {
  bool any = true;
  std::vector<Span> spans;
  size_t width = 0;  // how many (proto, value) keys the spans hold
};

void addTerms(const std::vector<ServiceTerm>& terms, std::vector<Span>& out) {
  for (const auto& t : terms) {
    if (t.protocol == kProtoTcp || t.protocol == kProtoUdp) {
      for (const auto& p : t.ports) out.push_back({t.protocol, p.first, p.last});
    } else {
      for (const auto type : t.icmpTypes) out.push_back({t.protocol, type, type});
    }
  }
}

Services normalise(const Rule& rule,
                   const std::unordered_map<std::string, const Service*>& byName) {
  Services s;
  if (rule.anyService) return s;
  s.any = false;
  std::vector<Span> raw;
  for (const auto& ref : rule.services) {
    if (ref.name.empty()) {
      addTerms(ref.inlineTerms, raw);
    } else if (const auto it = byName.find(ref.name); it != byName.end()) {
      addTerms(it->second->terms, raw);
    }
  }
  std::sort(raw.begin(), raw.end(), [](const Span& a, const Span& b) {
    return a.proto != b.proto ? a.proto < b.proto : a.lo < b.lo;
  });
  for (const auto& sp : raw) {
    if (!s.spans.empty() && s.spans.back().proto == sp.proto &&
        static_cast<uint32_t>(s.spans.back().hi) + 1 >= sp.lo) {
      s.spans.back().hi = std::max(s.spans.back().hi, sp.hi);
    } else {
      s.spans.push_back(sp);
    }
  }
  for (const auto& sp : s.spans) s.width += static_cast<size_t>(sp.hi - sp.lo) + 1;
  return s;
}

bool servicesCover(const Services& earlier, const Services& later) {
  if (earlier.any) return true;
  if (later.any) return false;
  size_t j = 0;
  for (const auto& sp : later.spans) {
    // Both sorted by (proto, lo) and merged: advance to the span that could hold sp.
    while (j < earlier.spans.size() &&
           (earlier.spans[j].proto < sp.proto ||
            (earlier.spans[j].proto == sp.proto && earlier.spans[j].hi < sp.lo))) {
      ++j;
    }
    if (j == earlier.spans.size()) return false;
    const Span& e = earlier.spans[j];
    if (e.proto != sp.proto || e.lo > sp.lo || e.hi < sp.hi) return false;
  }
  return true;
}

bool networksCover(const std::vector<Located<Prefix>>& earlier,
                   const std::vector<Located<Prefix>>& later, const Zone& zone) {
  if (earlier.empty()) return true;
  auto covered = [&](const Prefix& p) {
    for (const auto& e : earlier)
      if (e.value.contains(p)) return true;
    return false;
  };
  if (later.empty()) {
    // The later rule means the whole zone; only an explicit zone can be listed in full.
    if (zone.isAny || zone.networks.empty()) return false;
    for (const auto& n : zone.networks)
      if (!covered(n.value)) return false;
    return true;
  }
  for (const auto& l : later)
    if (!covered(l.value)) return false;
  return true;
}

bool scheduleCovers(const std::optional<Schedule>& earlier, const std::optional<Schedule>& later) {
  if (!earlier) return true;
  if (!later) return false;
  const Schedule& e = *earlier;
  const Schedule& l = *later;
  if ((l.days & ~e.days) != 0) return false;
  const bool eWraps = e.endMinute < e.startMinute, lWraps = l.endMinute < l.startMinute;
  if (!eWraps && !lWraps) return e.startMinute <= l.startMinute && l.endMinute <= e.endMinute;
  if (eWraps && lWraps) return e.startMinute <= l.startMinute && l.endMinute <= e.endMinute;
  // A plain window inside the evening part of a wrapping one (same day).
  if (eWraps && !lWraps) return l.startMinute >= e.startMinute;
  return false;
}

struct Bucket {
  std::vector<uint32_t> broad;  // any-service or wide rules: always candidates
  std::unordered_map<uint32_t, std::vector<uint32_t>> narrow;  // (proto, value) -> rules
};

constexpr size_t kNarrowWidth = 64;

uint32_t spanKey(uint8_t proto, uint16_t value) { return (uint32_t{proto} << 16) | value; }

std::string ruleLabel(const Rule& r, size_t index) {
  return r.name.empty() ? "#" + std::to_string(index + 1) : "'" + r.name + "'";
}

}  // namespace

void warnShadowedRules(const Policy& policy, const std::vector<RuleFacts>& facts,
                       Diagnostics& diags) {
  std::unordered_map<std::string, const Service*> byName;
  for (const auto& s : policy.services) byName.emplace(s.name, &s);
  std::vector<Services> services(policy.rules.size());
  std::unordered_map<uint64_t, Bucket> buckets;

  for (size_t i = 0; i < policy.rules.size() && i < facts.size(); ++i) {
    if (!facts[i].ok) continue;
    const Rule& rule = policy.rules[i];
    services[i] = normalise(rule, byName);
    const Services& mine = services[i];
    if (!mine.any && mine.spans.empty()) continue;  // only broken references: nothing to compare
    Bucket& bucket = buckets[(uint64_t(uint32_t(facts[i].from)) << 32) | uint32_t(facts[i].to)];
    const Zone& fromZone = policy.zones[static_cast<size_t>(facts[i].from)];
    const Zone& toZone = policy.zones[static_cast<size_t>(facts[i].to)];

    auto covers = [&](uint32_t j) {
      const Rule& e = policy.rules[j];
      return servicesCover(services[j], mine) &&
             networksCover(e.from.networks, rule.from.networks, fromZone) &&
             networksCover(e.to.networks, rule.to.networks, toZone) &&
             scheduleCovers(e.schedule, rule.schedule);
    };
    int budget = kShadowCandidateBudget;
    int64_t best = -1;
    auto consider = [&](const std::vector<uint32_t>& list) {
      for (const uint32_t j : list) {
        if (budget-- <= 0 || (best >= 0 && j >= best)) return;
        if (covers(j)) best = j;
      }
    };
    consider(bucket.broad);
    // A narrow earlier rule can only cover this one if it holds its first port/type.
    if (!mine.any && !mine.spans.empty()) {
      const auto it = bucket.narrow.find(spanKey(mine.spans[0].proto, mine.spans[0].lo));
      if (it != bucket.narrow.end()) consider(it->second);
    }
    if (best >= 0) {
      const Rule& e = policy.rules[static_cast<size_t>(best)];
      diags.warning(rule.where, "rule " + ruleLabel(rule, i) + " can never match: earlier rule " +
                                    ruleLabel(e, static_cast<size_t>(best)) + " (line " +
                                    std::to_string(e.where.line) + ") covers all its traffic");
    }

    const auto id = static_cast<uint32_t>(i);
    if (mine.any || mine.width > kNarrowWidth) {
      bucket.broad.push_back(id);
    } else {
      for (const auto& sp : mine.spans)
        for (uint32_t v = sp.lo; v <= sp.hi; ++v)
          bucket.narrow[spanKey(sp.proto, static_cast<uint16_t>(v))].push_back(id);
    }
  }
}

}  // namespace isogate::policy::detail
