#include "gateway/conntrack_stat.h"

#include <charconv>
#include <system_error>
#include <vector>

namespace isogate::gateway {
namespace {

std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// The kernel prints each counter as %08x; up to 16 digits are accepted so a wider counter
// still parses, anything else (a sign, a prefix, a stray character) is not the kernel's text.
bool parseHex(std::string_view s, uint64_t& value) {
  if (s.empty() || s.size() > 16) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 16);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

bool parseConntrackStat(std::string_view text, ConntrackStatTotals& totals, std::string& error) {
  std::vector<std::string> columns;
  std::vector<uint64_t> sums;
  size_t rows = 0;
  size_t lineNo = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNo;
    const auto fields = splitFields(line);
    if (lineNo == 1) {
      if (fields.empty()) {
        error = "line 1: no header line (expected column names such as `drop`)";
        return false;
      }
      for (const auto f : fields) {
        for (const auto& c : columns) {
          if (c == f) {
            error = "line 1: column `" + std::string(f) + "` named twice in the header";
            return false;
          }
        }
        columns.emplace_back(f);
      }
      sums.assign(columns.size(), 0);
      continue;
    }
    if (fields.empty()) continue;  // a blank line carries no counters
    if (fields.size() != columns.size()) {
      error = "line " + std::to_string(lineNo) + ": " + std::to_string(fields.size()) +
              " values, the header names " + std::to_string(columns.size()) + " columns";
      return false;
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      uint64_t v = 0;
      if (!parseHex(fields[i], v)) {
        error = "line " + std::to_string(lineNo) + ": column " + std::to_string(i + 1) + " `" + columns[i] +
                "`: `" + std::string(fields[i]) + "` is not a hexadecimal counter";
        return false;
      }
      if (sums[i] + v < sums[i]) {
        error = "line " + std::to_string(lineNo) + ": column " + std::to_string(i + 1) + " `" + columns[i] +
                "`: the sum over the CPUs overflows 64 bits";
        return false;
      }
      sums[i] += v;
    }
    ++rows;
  }
  if (lineNo == 0) {
    error = "empty text: no header line";
    return false;
  }
  if (rows == 0) {
    error = "no CPU rows after the header";
    return false;
  }
  ConntrackStatTotals out;
  for (size_t i = 0; i < columns.size(); ++i) out[columns[i]] = sums[i];
  totals = std::move(out);
  return true;
}

bool conntrackDrops(const ConntrackStatTotals& totals, ConntrackDrops& drops, std::string& error) {
  const auto drop = totals.find("drop");
  const auto early = totals.find("early_drop");
  if (drop == totals.end() || early == totals.end()) {
    error = std::string("no `") + (drop == totals.end() ? "drop" : "early_drop") + "` column in the header";
    return false;
  }
  drops.drop = drop->second;
  drops.earlyDrop = early->second;
  return true;
}

ConntrackDropDecision decideConntrackDrops(const std::optional<ConntrackDrops>& before, const ConntrackDrops& now) {
  ConntrackDropDecision d;
  if (!before || now.drop < before->drop || now.earlyDrop < before->earlyDrop) {
    d.action = ConntrackDropDecision::Action::Baseline;
    return d;
  }
  if (now.drop == before->drop) {
    d.action = ConntrackDropDecision::Action::Nothing;
    return d;
  }
  d.action = ConntrackDropDecision::Action::Report;
  d.dropped = now.drop - before->drop;
  d.earlyDropped = now.earlyDrop - before->earlyDrop;
  return d;
}

}  // namespace isogate::gateway
