// The netlink emitter: one NftRuleset (policy/nft_ruleset.h) encoded as ONE
// nftables transaction (BATCH_BEGIN ... BATCH_END) that replaces table inet
// isogate, mirroring byte for byte what `nft -f` sends for the text emitter's
// script. Pure encoding, no socket: gateway/nft_netlink.h sends it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policy/nft_ruleset.h"

namespace isogate::gateway {

struct NftBatch {
  std::vector<char> bytes;        // the netlink messages, back to back
  std::vector<std::string> what;  // what each message does, indexed by seq - firstSeq
  uint32_t firstSeq = 0;          // BATCH_BEGIN
  uint32_t lastSeq = 0;           // BATCH_END
  std::string error;              // non-empty: the ruleset cannot be encoded, nothing to send
  bool ok() const { return error.empty(); }
};

// Messages, in order: add table (so the delete cannot fail), delete table,
// add table, counters, chains, sets with their elements, rules (anonymous sets
// just before the rule that uses them). The last message before BATCH_END
// asks for an ACK. Only the forms the ruleset builder produces are encodable;
// anything else is an error naming the chain and rule.
NftBatch encodeNftBatch(const policy::NftRuleset& ruleset, uint32_t firstSeq);

// How many kernel set elements an interval set is stored as (starts, ends
// and the leading end marker), as a readback sees them.
size_t nftKernelElementCount(const std::vector<policy::NftInterval>& sortedIntervals, policy::Family family);

}  // namespace isogate::gateway
