#include "policy/nft_schedule.h"

#include <algorithm>
#include <map>

namespace isogate::policy {

namespace {

constexpr int kDay = 1440;
constexpr int kWeek = 7 * kDay;

int mod(int a, int m) { return ((a % m) + m) % m; }

}  // namespace

std::vector<NftTimePiece> schedulePieces(const std::optional<Schedule>& schedule, const NftBuildOptions& options) {
  if (!schedule) return {NftTimePiece{}};
  const Schedule& s = *schedule;
  // Work in minutes of a monday-based week. Local -> the kernel's day frame
  // (UTC - sys_tz west); hours are then UTC = kernel frame + west.
  const int shift = -options.utcOffsetMinutes - options.kernelTzMinutesWest;
  // (hour first, hour last) in minutes [a, b) -> set of kernel days (bit = sunday-based day)
  std::vector<std::pair<int, int>> perDay[7];
  auto addHours = [&](int kernelDay, int a, int b) {  // minutes of day in UTC, a < b, within [0, 1440]
    perDay[kernelDay].push_back({a, b});
  };
  auto addDayPiece = [&](int mondayDay, int a, int b) {  // [a, b) minutes of the kernel-frame day
    const int kernelDay = (mondayDay + 1) % 7;
    const int ua = a + options.kernelTzMinutesWest, ub = b + options.kernelTzMinutesWest;
    // Hours of UTC may wrap past midnight relative to the kernel's day.
    const int wa = mod(ua, kDay), len = ub - ua;
    if (wa + len <= kDay) {
      addHours(kernelDay, wa, wa + len);
    } else {
      addHours(kernelDay, wa, kDay);
      addHours(kernelDay, 0, wa + len - kDay);
    }
  };
  for (int d = 0; d < 7; ++d) {
    if (!((s.days >> d) & 1)) continue;
    int start = d * kDay + s.startMinute;
    int end = s.startMinute < s.endMinute ? d * kDay + s.endMinute : (d + 1) * kDay + s.endMinute;
    start += shift;
    end += shift;
    const int len = end - start;
    int from = mod(start, kWeek);
    int left = len;
    while (left > 0) {
      const int day = from / kDay;
      const int inDay = from % kDay;
      const int take = std::min(left, kDay - inDay);
      addDayPiece(day, inDay, inDay + take);
      left -= take;
      from = mod(from + take, kWeek);
    }
  }
  // Merge touching hour ranges of a day (a shifted whole day arrives in two
  // halves), then group the days that share a range.
  std::map<std::pair<int, int>, uint8_t> groups;
  for (int d = 0; d < 7; ++d) {
    auto& v = perDay[d];
    std::sort(v.begin(), v.end());
    std::vector<std::pair<int, int>> merged;
    for (const auto& r : v) {
      if (!merged.empty() && r.first <= merged.back().second) {
        merged.back().second = std::max(merged.back().second, r.second);
      } else {
        merged.push_back(r);
      }
    }
    for (const auto& r : merged) groups[r] |= static_cast<uint8_t>(1u << d);
  }
  std::vector<NftTimePiece> out;
  for (const auto& [hours, mask] : groups) {
    std::optional<std::pair<uint32_t, uint32_t>> h;
    if (!(hours.first == 0 && hours.second == kDay))
      h = std::pair{static_cast<uint32_t>(hours.first * 60), static_cast<uint32_t>(hours.second * 60 - 1)};
    if (mask == 0x7f) {
      out.push_back({std::nullopt, h});
      continue;
    }
    for (int d = 0; d < 7;) {  // one piece per run of consecutive kernel days
      if (!((mask >> d) & 1)) {
        ++d;
        continue;
      }
      int e = d;
      while (e + 1 < 7 && ((mask >> (e + 1)) & 1)) ++e;
      out.push_back({std::pair{static_cast<uint8_t>(d), static_cast<uint8_t>(e)}, h});
      d = e + 1;
    }
  }
  return out;
}

}  // namespace isogate::policy
