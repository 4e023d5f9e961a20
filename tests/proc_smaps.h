// What the kernel says about this process's mappings (/proc/self/smaps), for the tests that
// check where memory lives (the flow table's and the packet pool's own mappings).
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace isogate::testing {

// The smaps block of the mapping that holds `addr`: its header line (range, flags, path),
// then one line per field; "" when no mapping holds it.
inline std::string smapsBlockOf(const void* addr) {
  const auto a = reinterpret_cast<uintptr_t>(addr);
  std::ifstream in("/proc/self/smaps");
  std::string block;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    // A header has its first ':' (in the device field) after its first space; a field line
    // ("Rss:  4 kB") has it before.
    if (line.find(':') > line.find(' ')) {
      if (inside) return block;
      uintptr_t lo = 0, hi = 0;
      char dash = 0;
      std::istringstream range(line);
      inside = range >> std::hex >> lo >> dash >> hi && dash == '-' && lo <= a && a < hi;
    }
    if (inside) block += line + "\n";
  }
  return inside ? block : "";
}

// The same for the mapping that starts exactly at `p`: "" when none does (a mapping that
// merely holds p is another one).
inline std::string smapsBlockStartingAt(const void* p) {
  std::ostringstream start;
  start << std::hex << reinterpret_cast<uintptr_t>(p) << '-';
  std::string block = smapsBlockOf(p);
  return block.rfind(start.str(), 0) == 0 ? block : "";
}

// The value in kB of a field of a block ("Rss", "Size", ...), -1 when absent.
inline long smapsKb(const std::string& block, const std::string& field) {
  const auto at = block.find("\n" + field + ":");
  if (at == std::string::npos) return -1;
  return std::stol(block.substr(at + field.size() + 2));
}

// A line of a block: the header (""), or the field's whole line ("VmFlags"); "" when absent.
inline std::string smapsLine(const std::string& block, const std::string& field) {
  const size_t at = field.empty() ? 0 : block.find("\n" + field + ":");
  if (block.empty() || at == std::string::npos) return "";
  const size_t from = field.empty() ? 0 : at + 1;
  return block.substr(from, block.find('\n', from) - from);
}

}  // namespace isogate::testing
