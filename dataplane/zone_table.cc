#include "dataplane/zone_table.h"

#include <algorithm>

namespace isogate::dataplane {

void ZoneTable::build(const policy::CompiledPolicy& policy) {
  v4_.clear();
  v6_.clear();
  for (const auto& zp : policy.prefixes4) {
    v4_.push_back({static_cast<uint32_t>(zp.prefix.first()),
                   static_cast<uint32_t>(zp.prefix.last()), zp.zone});
  }
  for (const auto& zp : policy.prefixes6)
    v6_.push_back({zp.prefix.first(), zp.prefix.last(), zp.zone});
  // The IR sorts them already; sorting again keeps the search correct whatever the producer.
  std::sort(v4_.begin(), v4_.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::sort(v6_.begin(), v6_.end(), [](auto& a, auto& b) { return a.first < b.first; });
  any_ = policy.anyZone >= 0 ? static_cast<uint16_t>(policy.anyZone) : kNoZone;
}

}  // namespace isogate::dataplane
