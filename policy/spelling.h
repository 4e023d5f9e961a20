// "did you mean ...?" suggestions for misspelled keys, zone, service and ICMP
// type names: the closest candidate by edit distance (adjacent swaps count as
// one edit), if it is close enough to be a plausible typo.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace isogate::policy {

// Optimal-string-alignment distance (Levenshtein plus adjacent transposition).
int editDistance(std::string_view a, std::string_view b);

// The closest candidate within distance 2 (and closer than the word's length),
// first in candidate order on ties; nullopt when nothing is close.
std::optional<std::string> closestName(std::string_view word,
                                       const std::vector<std::string>& candidates);

// "; did you mean 'x'?" or "" for appending to a message.
std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace isogate::policy
