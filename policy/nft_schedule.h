// Lowers a rule's schedule (local wall-clock days and hours, SPEC §1) to the
// kernel's time matches: `meta day` (0 = sunday, in the kernel's sys_tz) and
// `meta hour` (seconds since UTC midnight). One piece per nft rule.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "policy/model.h"
#include "policy/nft_ruleset.h"

namespace isogate::policy {

struct NftTimePiece {
  std::optional<std::pair<uint8_t, uint8_t>> days;    // inclusive kernel day range; nullopt = every day
  std::optional<std::pair<uint32_t, uint32_t>> hours;  // inclusive seconds; nullopt = all day
  friend bool operator==(const NftTimePiece&, const NftTimePiece&) = default;
};

// No schedule: one piece that matches always. A schedule: the pieces whose
// union is exactly its active time; empty when it is never active.
std::vector<NftTimePiece> schedulePieces(const std::optional<Schedule>& schedule, const NftBuildOptions& options);

}  // namespace isogate::policy
