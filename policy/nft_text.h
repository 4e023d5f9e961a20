// The text emitter: an NftRuleset as an nftables script for `nft -f` (what
// `isogate-policy compile --target nft` prints and an officer reviews). The
// script replaces table `inet isogate` in one transaction.
#pragma once

#include <string>

#include "policy/nft_ruleset.h"

namespace isogate::policy {

// The whole script: a header comment, then `table inet isogate {}` /
// `delete table inet isogate` / `table inet isogate { ... }`, which nft -f
// applies as one transaction (the first line makes the delete valid when the
// table does not exist yet).
std::string renderNftText(const NftRuleset& ruleset);

// Parts, for tests and diagnostics.
std::string renderNftRule(const NftRule& rule);
std::string renderNftMatch(const NftMatch& match);
// An address interval: "10.0.0.0/8", "10.0.0.1", "10.0.0.1-10.0.0.9".
std::string renderNftAddress(const NftInterval& interval, Family family);

}  // namespace isogate::policy
