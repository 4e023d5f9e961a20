// Builds the IR's zone prefix tables: turns the networks the zones list (which
// may nest or repeat within one zone, and which resolve by longest prefix) into
// one sorted, pairwise disjoint table per family that needs no longest-prefix
// logic, so a lookup is one binary search and the verifier can reason on ranges.
#pragma once

#include <vector>

#include "policy/compiled.h"

namespace isogate::policy {

// `entries` are (network, zone id) of one family, in any order. Lookups in the
// result give the same zone as longest-prefix match over `entries`, where an
// exact tie goes to the lower zone id and addresses in no entry belong to
// `anyZone` (-1: none). Entries of `anyZone` itself are left out, as the
// table's misses go there anyway; nested networks of one zone are merged, as are
// adjacent halves of one zone.
std::vector<ZonePrefix> buildPrefixTable(std::vector<ZonePrefix> entries, int anyZone);

}  // namespace isogate::policy
