#include "policy/prefix_table.h"

#include <algorithm>
#include <tuple>

namespace isogate::policy {
namespace {

// A kept network and the kept networks directly inside it.
struct Node {
  ZonePrefix entry;
  std::vector<size_t> children;  // indexes into the node list, in address order
};

Prefix half(const Prefix& p, int which) {
  Prefix h = p;
  h.length = static_cast<uint8_t>(p.length + 1);
  if (which == 1) h.base = p.base | (U128{1} << (familyBits(p.family) - h.length));
  return h;
}

// Emits `p` (zone `zone`) minus the nodes `inside`, which lie strictly inside p
// and are disjoint from each other, then the nodes themselves, in address order.
void carve(const Prefix& p, uint16_t zone, const std::vector<size_t>& inside,
           const std::vector<Node>& nodes, std::vector<ZonePrefix>& out) {
  if (inside.empty()) {
    out.push_back({p, zone});
    return;
  }
  for (int which = 0; which < 2; ++which) {
    const Prefix h = half(p, which);
    std::vector<size_t> inHalf;
    const Node* exact = nullptr;
    for (size_t i : inside) {
      if (nodes[i].entry.prefix == h) exact = &nodes[i];
      else if (h.contains(nodes[i].entry.prefix)) inHalf.push_back(i);
    }
    if (exact) carve(h, exact->entry.zone, exact->children, nodes, out);
    else carve(h, zone, inHalf, nodes, out);
  }
}

bool isLowerSibling(const Prefix& a, const Prefix& b) {
  if (a.family != b.family || a.length != b.length || a.length == 0) return false;
  const U128 bit = U128{1} << (familyBits(a.family) - a.length);
  return (a.base & bit) == 0 && b.base == (a.base | bit);
}

}  // namespace

std::vector<ZonePrefix> buildPrefixTable(std::vector<ZonePrefix> entries, int anyZone) {
  // Containing networks sort before the networks they contain; an exact tie
  // keeps file order of the zones, so the first zone wins.
  std::sort(entries.begin(), entries.end(), [](const ZonePrefix& a, const ZonePrefix& b) {
    return std::tuple(a.prefix.base, a.prefix.length, a.zone) <
           std::tuple(b.prefix.base, b.prefix.length, b.zone);
  });
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const ZonePrefix& a, const ZonePrefix& b) { return a.prefix == b.prefix; }),
                entries.end());

  // Keep a network only when it changes the answer: a network of the same zone
  // as its nearest enclosing kept network (or, at the top, of the `any` zone)
  // adds nothing.
  std::vector<Node> nodes;
  std::vector<size_t> roots, stack;
  for (const ZonePrefix& e : entries) {
    while (!stack.empty() && !nodes[stack.back()].entry.prefix.contains(e.prefix)) stack.pop_back();
    const int parentZone = stack.empty() ? anyZone : nodes[stack.back()].entry.zone;
    if (e.zone == parentZone) continue;
    nodes.push_back({e, {}});
    const size_t id = nodes.size() - 1;
    if (stack.empty()) roots.push_back(id);
    else nodes[stack.back()].children.push_back(id);
    stack.push_back(id);
  }

  // Flatten: every kept network minus the networks nested in it.
  std::vector<ZonePrefix> pieces;
  for (size_t r : roots) carve(nodes[r].entry.prefix, nodes[r].entry.zone, nodes[r].children, nodes, pieces);

  // Merge adjacent halves of one zone back into their parent, repeatedly.
  std::vector<ZonePrefix> merged;
  for (const ZonePrefix& p : pieces) {
    merged.push_back(p);
    while (merged.size() >= 2) {
      ZonePrefix& a = merged[merged.size() - 2];
      const ZonePrefix& b = merged.back();
      if (a.zone != b.zone || !isLowerSibling(a.prefix, b.prefix)) break;
      a.prefix.length = static_cast<uint8_t>(a.prefix.length - 1);
      merged.pop_back();
    }
  }

  // In a disjoint table, an entry of the `any` zone is the same as a miss.
  std::vector<ZonePrefix> table;
  table.reserve(merged.size());
  for (const ZonePrefix& p : merged)
    if (static_cast<int>(p.zone) != anyZone) table.push_back(p);
  return table;
}

}  // namespace isogate::policy
