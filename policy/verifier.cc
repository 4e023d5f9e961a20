// Pass 4: the verifier. It trusts nothing the compiler did: every guarantee is
// re-derived from the IR's own tables, so a compiler bug (or a corrupted IR
// read back from JSON) cannot open a physical pair.
#include <algorithm>
#include <string>

#include "policy/compiler.h"

namespace isogate::policy {
namespace {

const char* kindName(PairKind k) {
  switch (k) {
    case PairKind::Intra: return "intra-zone";
    case PairKind::Physical: return "physical";
    case PairKind::Logical: return "logical";
  }
  return "invalid";
}

class Verifier {
 public:
  Verifier(const CompiledPolicy& c, Diagnostics& diags) : c_(c), diags_(diags), top_{c.sourceFile, 0, 0} {}

  bool run() {
    const int before = diags_.errorCount();
    if (!checkZones()) return false;
    if (!checkMatrixSize()) return false;
    checkMatrix();
    tableOk4_ = checkTable(c_.prefixes4, Family::V4);
    tableOk6_ = checkTable(c_.prefixes6, Family::V6);
    for (size_t i = 0; i < c_.rules.size(); ++i) checkRule(i, c_.rules[i]);
    return diags_.errorCount() == before;
  }

 private:
  std::string zoneName(size_t id) const {
    return id < c_.zones.size() ? c_.zones[id].name : "#" + std::to_string(id);
  }

  bool checkZones() {
    const size_t n = c_.zones.size();
    if (n == 0) {
      diags_.error(top_, "compiled policy has no zones");
      return false;
    }
    if (n > 0xffff) {
      diags_.error(top_, "compiled policy has " + std::to_string(n) + " zones, more than zone ids can name");
      return false;
    }
    if (c_.anyZone < -1 || c_.anyZone >= static_cast<int>(n)) {
      diags_.error(top_, "catch-all zone id " + std::to_string(c_.anyZone) + " names no zone");
      return false;
    }
    for (size_t i = 0; i < n; ++i) {
      const bool isAny = static_cast<int>(i) == c_.anyZone;
      if (c_.zones[i].isAny != isAny) {
        diags_.error(top_, "zone '" + c_.zones[i].name + "' is " + (c_.zones[i].isAny ? "" : "not ") +
                               "marked catch-all, but the catch-all zone id says otherwise");
      }
    }
    return true;
  }

  bool checkMatrixSize() {
    const size_t n = c_.zones.size();
    if (c_.matrix.size() == n * n) return true;
    diags_.error(top_, "isolation matrix has " + std::to_string(c_.matrix.size()) + " entries, expected " +
                           std::to_string(n * n));
    return false;
  }

  // Physical in either direction: a broken (asymmetric) matrix must not let one
  // direction pass for the other.
  bool physical(size_t a, size_t b) const {
    return c_.pair(static_cast<uint16_t>(a), static_cast<uint16_t>(b)) == PairKind::Physical ||
           c_.pair(static_cast<uint16_t>(b), static_cast<uint16_t>(a)) == PairKind::Physical;
  }

  bool checkMatrix() {
    const size_t n = c_.zones.size();
    bool ok = true;
    for (size_t a = 0; a < n; ++a) {
      for (size_t b = 0; b < n; ++b) {
        const PairKind k = c_.pair(static_cast<uint16_t>(a), static_cast<uint16_t>(b));
        if (k != PairKind::Intra && k != PairKind::Physical && k != PairKind::Logical) {
          diags_.error(top_, "isolation matrix entry " + zoneName(a) + " -> " + zoneName(b) + " is invalid");
          ok = false;
          continue;
        }
        if (a == b) {
          if (k != PairKind::Intra) {
            diags_.error(top_, "isolation matrix: zone '" + zoneName(a) + "' with itself is " + kindName(k) +
                                   ", expected intra-zone");
            ok = false;
          }
          continue;
        }
        if (k == PairKind::Intra) {
          diags_.error(top_, "isolation matrix: distinct zones '" + zoneName(a) + "' and '" + zoneName(b) +
                                 "' are marked intra-zone");
          ok = false;
        }
        if (a > b) continue;
        const PairKind back = c_.pair(static_cast<uint16_t>(b), static_cast<uint16_t>(a));
        if (back != k) {
          diags_.error(top_, "isolation matrix is not symmetric: " + zoneName(a) + " -> " + zoneName(b) + " is " +
                                 kindName(k) + " but " + zoneName(b) + " -> " + zoneName(a) + " is " +
                                 kindName(back));
          ok = false;
        }
        if ((k == PairKind::Logical || back == PairKind::Logical) &&
            (c_.zones[a].level == Level::Classified || c_.zones[b].level == Level::Classified)) {
          const size_t cls = c_.zones[a].level == Level::Classified ? a : b;
          diags_.error(top_, "classified zone '" + zoneName(cls) + "' is in a logical pair (" + zoneName(a) +
                                 ", " + zoneName(b) + ")");
          ok = false;
        }
      }
    }
    return ok;
  }

  bool checkTable(const std::vector<ZonePrefix>& table, Family family) {
    const std::string what = family == Family::V4 ? "IPv4 prefix table" : "IPv6 prefix table";
    bool ok = true;
    for (size_t i = 0; i < table.size(); ++i) {
      const Prefix& p = table[i].prefix;
      if (p.family != family || p.length > familyBits(family) ||
          (p.base & ~prefixMask(family, p.length) & prefixMask(family, familyBits(family))) != 0 ||
          (family == Family::V4 && (p.base >> 32) != 0)) {
        diags_.error(top_, what + ": entry " + std::to_string(i) + " is not a valid " +
                               (family == Family::V4 ? "IPv4" : "IPv6") + " prefix");
        ok = false;
        continue;
      }
      if (table[i].zone >= c_.zones.size()) {
        diags_.error(top_, what + ": " + toString(p) + " names zone id " + std::to_string(table[i].zone) +
                               ", which does not exist");
        ok = false;
      }
      if (i == 0) continue;
      const Prefix& prev = table[i - 1].prefix;
      if (prev.family != family) continue;
      if (prev.overlaps(p)) {
        diags_.error(top_, what + ": " + toString(prev) + " (" + zoneName(table[i - 1].zone) + ") overlaps " +
                               toString(p) + " (" + zoneName(table[i].zone) + ")");
        ok = false;
      } else if (prev.base > p.base) {
        diags_.error(top_, what + ": " + toString(p) + " is out of order after " + toString(prev));
        ok = false;
      }
    }
    return ok;
  }

  // Zones that addresses of `p` can belong to according to the prefix tables.
  void zonesOf(const Prefix& p, std::vector<char>& seen) const {
    const bool v4 = p.family == Family::V4;
    const auto& table = v4 ? c_.prefixes4 : c_.prefixes6;
    const bool sorted = v4 ? tableOk4_ : tableOk6_;
    bool uncovered = false;
    if (!sorted) {
      // The table is broken (already an error): be conservative, assume every
      // overlapping entry and the catch-all can be reached.
      for (const ZonePrefix& e : table)
        if (e.prefix.family == p.family && e.prefix.overlaps(p) && e.zone < seen.size()) seen[e.zone] = 1;
      uncovered = true;
    } else {
      const U128 first = p.first(), last = p.last();
      auto it = std::lower_bound(table.begin(), table.end(), first,
                                 [](const ZonePrefix& e, U128 v) { return e.prefix.last() < v; });
      U128 cursor = first;  // the lowest address of p not yet seen covered
      bool done = false;    // cursor passed the end of the address space
      for (; it != table.end() && it->prefix.first() <= last; ++it) {
        seen[it->zone] = 1;
        if (!done && it->prefix.first() > cursor) uncovered = true;
        if (it->prefix.last() == prefixMask(p.family, familyBits(p.family))) done = true;
        else cursor = it->prefix.last() + 1;
      }
      if (!done && cursor <= last) uncovered = true;
    }
    if (uncovered && c_.anyZone >= 0) seen[c_.anyZone] = 1;
  }

  void endpointZones(const std::vector<Prefix>& prefixes, uint16_t zone, std::vector<char>& seen) const {
    std::fill(seen.begin(), seen.end(), 0);
    if (prefixes.empty()) {
      seen[zone] = 1;
      return;
    }
    for (const Prefix& p : prefixes) zonesOf(p, seen);
  }

  bool validPrefix(const Prefix& p) const {
    if ((p.family != Family::V4 && p.family != Family::V6) || p.length > familyBits(p.family)) return false;
    if (p.family == Family::V4 && (p.base >> 32) != 0) return false;
    return (p.base & ~prefixMask(p.family, p.length) & prefixMask(p.family, familyBits(p.family))) == 0;
  }

  void checkRule(size_t index, const CompiledRule& r) {
    const std::string what = "rule '" + r.name + "'";
    if (r.id != index) {
      diags_.error(r.where, what + " has id " + std::to_string(r.id) + " at position " + std::to_string(index) +
                                "; rule order decides the first match");
    }
    const size_t n = c_.zones.size();
    if (r.fromZone >= n || r.toZone >= n) {
      diags_.error(r.where, what + " names zone id " + std::to_string(r.fromZone >= n ? r.fromZone : r.toZone) +
                                ", which does not exist");
      return;
    }
    if (r.terms.empty()) diags_.error(r.where, what + " has no match terms");
    for (const MatchTerm& t : r.terms) {
      if (t.protoFirst > t.protoLast || t.portFirst > t.portLast || t.icmpFirst > t.icmpLast) {
        diags_.error(r.where, what + " has an empty match range");
        break;
      }
    }
    bool prefixesOk = true;
    for (const auto* list : {&r.src, &r.dst})
      for (const Prefix& p : *list) prefixesOk = prefixesOk && validPrefix(p);
    if (!prefixesOk) {
      diags_.error(r.where, what + " has an invalid address prefix");
      return;
    }
    if (r.action != Action::Allow) return;

    if (physical(r.fromZone, r.toZone)) {
      diags_.error(r.where, what + " allows traffic between physically isolated zones " + zoneName(r.fromZone) +
                                " and " + zoneName(r.toZone));
    }
    srcSeen_.resize(n);
    dstSeen_.resize(n);
    endpointZones(r.src, r.fromZone, srcSeen_);
    endpointZones(r.dst, r.toZone, dstSeen_);
    for (size_t s = 0; s < n; ++s) {
      if (!srcSeen_[s]) continue;
      for (size_t d = 0; d < n; ++d) {
        if (!dstSeen_[d] || s == d) continue;
        if (s == r.fromZone && d == r.toZone) continue;  // reported above
        if (!physical(s, d)) continue;
        diags_.error(r.where, what + " can match traffic from zone " + zoneName(s) + " to zone " + zoneName(d) +
                                  ", which are physically isolated (its addresses reach beyond " +
                                  zoneName(r.fromZone) + " -> " + zoneName(r.toZone) + ")");
      }
    }
  }

  const CompiledPolicy& c_;
  Diagnostics& diags_;
  Location top_;
  bool tableOk4_ = false, tableOk6_ = false;
  std::vector<char> srcSeen_, dstSeen_;
};

}  // namespace

bool verifyCompiled(const CompiledPolicy& compiled, Diagnostics& diags) {
  return Verifier(compiled, diags).run();
}

}  // namespace isogate::policy
