// Zone of an address by longest prefix, for IPv4 and IPv6, from the IR's prefix
// tables. The IR guarantees the prefixes are pairwise disjoint, so the longest
// prefix holding an address is the only one: a binary search over sorted
// [first, last] ranges finds it; the `any` zone takes the rest. Immutable after build.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/violation_record.h"
#include "policy/compiled.h"

namespace isogate::dataplane {

class ZoneTable {
 public:
  using U128 = unsigned __int128;

  void build(const policy::CompiledPolicy& policy);

  uint16_t lookup4(uint32_t a) const noexcept { return find(v4_, a); }
  uint16_t lookup6(U128 a) const noexcept { return find(v6_, a); }
  template <bool kV6>
  uint16_t lookup(U128 a) const noexcept {
    if constexpr (kV6) {
      return lookup6(a);
    } else {
      return lookup4(static_cast<uint32_t>(a));
    }
  }

 private:
  template <class T>
  struct Range {
    T first, last;
    uint16_t zone;
  };
  template <class T>
  uint16_t find(const std::vector<Range<T>>& r, T a) const noexcept {
    size_t lo = 0, hi = r.size();  // first range whose `first` is > a, minus one
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (r[mid].first <= a) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo > 0 && a <= r[lo - 1].last) return r[lo - 1].zone;
    return any_;
  }

  std::vector<Range<uint32_t>> v4_;
  std::vector<Range<U128>> v6_;
  uint16_t any_ = kNoZone;
};

}  // namespace isogate::dataplane
