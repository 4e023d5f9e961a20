// The kernel's own connection tracking statistics (/proc/net/stat/nf_conntrack, one per
// network namespace): parsing the text and deciding when packets the kernel dropped because
// its conntrack table was full (nf_conntrack_max) are to be reported. Pure: no I/O here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace isogate::gateway {

// Column name -> the sum of that column over all CPU rows. Columns are found by the header
// line, never by position (kernels add columns). Note: `entries` repeats the namespace's
// total in every row, so its sum is not a count; `drop` and `early_drop` are per CPU.
using ConntrackStatTotals = std::map<std::string, uint64_t>;

// false with a precise error ("line 3: column 12 `drop`: `zz` is not a hexadecimal
// number", ...) and `totals` untouched when the text is not the kernel's format.
bool parseConntrackStat(std::string_view text, ConntrackStatTotals& totals, std::string& error);

// The two counters of a full table: `drop` (new packets dropped because no entry could be
// made) and `early_drop` (unreplied entries evicted to make room).
struct ConntrackDrops {
  uint64_t drop = 0;
  uint64_t earlyDrop = 0;
};

// false with "no `drop` column in the header" (or `early_drop`) when one is missing.
bool conntrackDrops(const ConntrackStatTotals& totals, ConntrackDrops& drops, std::string& error);

// What one read means, given the counters of the read before (none on the first read).
struct ConntrackDropDecision {
  enum class Action {
    Baseline,  // first read, or a counter went down (module reloaded): start counting again
    Nothing,   // `drop` did not grow: no report
    Report,    // `drop` grew: report `dropped` (and `earlyDropped` when it is not 0)
  };
  Action action = Action::Baseline;
  uint64_t dropped = 0;
  uint64_t earlyDropped = 0;
};

// In every case the caller keeps `now` as the next baseline once it is done with the read
// (for Report: once the report was taken, so a report that could not be sent is repeated
// with the larger count).
ConntrackDropDecision decideConntrackDrops(const std::optional<ConntrackDrops>& before, const ConntrackDrops& now);

}  // namespace isogate::gateway
