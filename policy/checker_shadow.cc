#include "policy/checker_shadow.h"

#include <algorithm>
#include <array>
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
                   const std::unordered_map<std::string, const Service*>& byName,
                   std::vector<Span>& raw) {
  Services s;
  if (rule.anyService) return s;
  s.any = false;
  raw.clear();
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

// Rule indexes in ascending order (rules are indexed as they are visited).
using List = std::vector<uint32_t>;
using Lists = std::vector<const List*>;

// The prefix a covering rule's networks must contain: the later rule's first
// network, or the first network of its zone when it names the whole zone.
// nullptr when only a whole-zone earlier rule can cover (zone `any`).
const Prefix* probeOf(const std::vector<Located<Prefix>>& networks, const Zone& zone) {
  if (!networks.empty()) return &networks.front().value;
  if (zone.isAny || zone.networks.empty()) return nullptr;
  return &zone.networks.front().value;
}

struct PrefixKey {
  U128 base;
  uint8_t length;
  Family family;
  friend bool operator==(const PrefixKey&, const PrefixKey&) = default;
};

struct PrefixKeyHash {
  size_t operator()(const PrefixKey& k) const {
    uint64_t h = static_cast<uint64_t>(k.base) ^ (static_cast<uint64_t>(k.base >> 64) * 0x9e3779b97f4a7c15ULL);
    h ^= (uint64_t{k.length} << 8 | static_cast<uint8_t>(k.family)) * 0xc2b2ae3d27d4eb4fULL;
    h *= 0xff51afd7ed558ccdULL;
    return static_cast<size_t>(h ^ (h >> 32));
  }
};

// Earlier rules by the networks of one side: a rule covers a later one on that
// side only if it names the whole zone or one of its networks contains the probe.
class SideIndex {
 public:
  void add(const std::vector<Located<Prefix>>& networks, uint32_t id) {
    if (networks.empty()) {
      whole_.push_back(id);
      return;
    }
    for (const auto& n : networks) {
      List& list = byPrefix_[PrefixKey{n.value.base, n.value.length, n.value.family}];
      if (list.empty() || list.back() != id) list.push_back(id);
      lengths(n.value.family)[n.value.length] = true;
    }
  }

  // Appends the lists that hold every possible cover; gives up (returns
  // `limit`) as soon as they reach `limit` rules, another index being better.
  size_t candidates(const Prefix* probe, size_t limit, Lists& out) const {
    size_t total = whole_.size();
    if (total >= limit) return limit;
    if (total) out.push_back(&whole_);
    if (!probe) return total;
    const auto& present = lengths(probe->family);
    for (int len = 0; len <= probe->length; ++len) {
      if (!present[static_cast<size_t>(len)]) continue;
      const auto it = byPrefix_.find(PrefixKey{probe->base & prefixMask(probe->family, len),
                                               static_cast<uint8_t>(len), probe->family});
      if (it == byPrefix_.end()) continue;
      total += it->second.size();
      if (total >= limit) return limit;
      out.push_back(&it->second);
    }
    return total;
  }

 private:
  using Lengths = std::array<bool, 256>;
  Lengths& lengths(Family f) { return f == Family::V4 ? v4_ : v6_; }
  const Lengths& lengths(Family f) const { return f == Family::V4 ? v4_ : v6_; }

  List whole_;
  std::unordered_map<PrefixKey, List, PrefixKeyHash> byPrefix_;
  Lengths v4_{}, v6_{};
};

constexpr size_t kNarrowWidth = 64;

uint32_t spanKey(uint8_t proto, uint16_t value) { return (uint32_t{proto} << 16) | value; }

// Earlier rules by service: any-service rules, wide ones, and narrow ones by
// each (protocol, port/type) they hold; a narrow rule covers a later one only
// if it holds the later rule's first key.
class ServiceIndex {
 public:
  void add(const Services& s, uint32_t id) {
    if (s.any) {
      any_.push_back(id);
    } else if (s.width > kNarrowWidth) {
      wide_.push_back(id);
    } else {
      for (const auto& sp : s.spans)
        for (uint32_t v = sp.lo; v <= sp.hi; ++v)
          narrow_[spanKey(sp.proto, static_cast<uint16_t>(v))].push_back(id);
    }
  }

  size_t candidates(const Services& later, size_t limit, Lists& out) const {
    size_t total = any_.size();
    if (total >= limit) return limit;
    if (total) out.push_back(&any_);
    if (later.any) return total;
    total += wide_.size();
    if (total >= limit) return limit;
    if (!wide_.empty()) out.push_back(&wide_);
    const auto it = narrow_.find(spanKey(later.spans[0].proto, later.spans[0].lo));
    if (it != narrow_.end()) {
      total += it->second.size();
      if (total >= limit) return limit;
      out.push_back(&it->second);
    }
    return total;
  }

 private:
  List any_, wide_;
  std::unordered_map<uint32_t, List> narrow_;
};

// The earlier rules of one zone pair whose from/to sides are both explicit,
// or one or both the whole zone. Each class is indexed three ways; a query uses
// whichever index yields the fewest candidates (for a whole-zone side, the side
// index degenerates to all rules of the class and is never the best).
struct Class {
  List all;
  SideIndex from, to;
  ServiceIndex services;
};

struct Bucket {
  std::array<Class, 4> classes;  // bit 0: from is the whole zone, bit 1: to is
};

constexpr size_t kScanAll = 16;  // below it, scanning beats looking candidates up
constexpr size_t kIntersectRatio = 16;  // a second index is worth marking up to this size

std::string ruleLabel(const Rule& r, size_t index) {
  std::string label;
  if (r.name.empty()) {
    label += '#';
    label += std::to_string(index + 1);
  } else {
    label += '\'';
    label += r.name;
    label += '\'';
  }
  return label;
}

}  // namespace

void warnShadowedRules(const Policy& policy, const std::vector<RuleFacts>& facts,
                       Diagnostics& diags) {
  std::unordered_map<std::string, const Service*> byName;
  for (const auto& s : policy.services) byName.emplace(s.name, &s);
  std::vector<Services> services(policy.rules.size());
  std::unordered_map<uint64_t, Bucket> buckets;
  std::vector<Span> raw;
  Lists chosen, trial;
  std::vector<uint32_t> stamp(policy.rules.size(), 0);
  uint32_t stampId = 0;

  for (size_t i = 0; i < policy.rules.size() && i < facts.size(); ++i) {
    if (!facts[i].ok) continue;
    const Rule& rule = policy.rules[i];
    services[i] = normalise(rule, byName, raw);
    const Services& mine = services[i];
    if (!mine.any && mine.spans.empty()) continue;  // only broken references: nothing to compare
    Bucket& bucket = buckets[(uint64_t(uint32_t(facts[i].from)) << 32) | uint32_t(facts[i].to)];
    const Zone& fromZone = policy.zones[static_cast<size_t>(facts[i].from)];
    const Zone& toZone = policy.zones[static_cast<size_t>(facts[i].to)];
    const Prefix* fromProbe = probeOf(rule.from.networks, fromZone);
    const Prefix* toProbe = probeOf(rule.to.networks, toZone);

    auto covers = [&](uint32_t j) {
      const Rule& e = policy.rules[j];
      return servicesCover(services[j], mine) &&
             networksCover(e.from.networks, rule.from.networks, fromZone) &&
             networksCover(e.to.networks, rule.to.networks, toZone) &&
             scheduleCovers(e.schedule, rule.schedule);
    };
    // The first covering earlier rule: every index list is ascending, so each
    // scan stops at its first cover or at the best found so far.
    int64_t best = -1;
    bool filtered = false;  // only rules stamped with `stampId` can cover
    auto scan = [&](const List& list) {
      for (const uint32_t j : list) {
        if (best >= 0 && j >= best) return;
        if (filtered && stamp[j] != stampId) continue;
        if (covers(j)) {
          best = j;
          return;
        }
      }
    };
    for (const Class& c : bucket.classes) {
      if (c.all.empty() || (best >= 0 && c.all.front() >= best)) continue;
      if (c.all.size() <= kScanAll) {
        filtered = false;
        scan(c.all);
        continue;
      }
      size_t fewest = c.all.size();
      chosen.clear();
      chosen.push_back(&c.all);
      auto lookup = [&](int kind, size_t limit, Lists& out) {
        if (kind == 0) return c.services.candidates(mine, limit, out);
        if (kind == 1) return c.from.candidates(fromProbe, limit, out);
        return c.to.candidates(toProbe, limit, out);
      };
      int chosenKind = -1;
      for (int kind = 0; kind < 3; ++kind) {
        trial.clear();
        const size_t n = lookup(kind, fewest, trial);
        if (n < fewest) {
          fewest = n;
          chosen.swap(trial);
          chosenKind = kind;
        }
      }
      // Many candidates: intersect with a second index that is not much larger,
      // so the full comparison (which touches the rules) runs on few of them.
      filtered = false;
      if (fewest > kScanAll) {
        for (int kind = 0; kind < 3 && !filtered; ++kind) {
          if (kind == chosenKind) continue;
          trial.clear();
          const size_t limit = fewest * kIntersectRatio;
          if (lookup(kind, limit, trial) >= limit) continue;
          ++stampId;
          for (const List* list : trial)
            for (const uint32_t j : *list) stamp[j] = stampId;
          filtered = true;
        }
      }
      for (const List* list : chosen) scan(*list);
    }
    if (best >= 0) {
      const Rule& e = policy.rules[static_cast<size_t>(best)];
      diags.warning(rule.where, "rule " + ruleLabel(rule, i) + " can never match: earlier rule " +
                                    ruleLabel(e, static_cast<size_t>(best)) + " (line " +
                                    std::to_string(e.where.line) + ") covers all its traffic");
    }

    const auto id = static_cast<uint32_t>(i);
    Class& c = bucket.classes[(rule.from.networks.empty() ? 1 : 0) | (rule.to.networks.empty() ? 2 : 0)];
    c.all.push_back(id);
    c.from.add(rule.from.networks, id);
    c.to.add(rule.to.networks, id);
    c.services.add(mine, id);
  }
}

}  // namespace isogate::policy::detail
