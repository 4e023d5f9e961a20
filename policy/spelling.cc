#include "policy/spelling.h"

#include <algorithm>

namespace isogate::policy {

int editDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  // Three rolling rows: two back are needed for transpositions.
  std::vector<int> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[m];
}

std::optional<std::string> closestName(std::string_view word,
                                       const std::vector<std::string>& candidates) {
  // Long inputs are never typos of our short names; skip the quadratic work.
  if (word.empty() || word.size() > 64) return std::nullopt;
  std::optional<std::string> best;
  int bestDistance = 3;
  for (const auto& c : candidates) {
    if (c == word) continue;
    const int d = editDistance(word, c);
    if (d < bestDistance && d < static_cast<int>(word.size())) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  const auto best = closestName(word, candidates);
  return best ? "; did you mean '" + *best + "'?" : std::string();
}

}  // namespace isogate::policy
