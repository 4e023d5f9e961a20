#include "dataplane/frag_table.h"

#include <rte_hash_crc.h>

namespace isogate::dataplane {

FragTable::FragTable(uint32_t capacity) {
  uint32_t n = 64;
  while (n < capacity) n <<= 1;
  entries_ = std::make_unique<Entry[]>(n);
  mask_ = n - 1;
}

const FragTable::Entry& FragTable::slot(bool v6, const PacketMeta& md) const noexcept {
  uint32_t h = rte_hash_crc_4byte(md.fragId, v6 ? 6u : 4u);
  h = rte_hash_crc_8byte(static_cast<uint64_t>(md.src), h);
  h = rte_hash_crc_8byte(static_cast<uint64_t>(md.src >> 64), h);
  h = rte_hash_crc_8byte(static_cast<uint64_t>(md.dst), h);
  h = rte_hash_crc_8byte(static_cast<uint64_t>(md.dst >> 64), h);
  h = rte_hash_crc_4byte(md.proto, h);
  return entries_[h & mask_];
}

void FragTable::remember(bool v6, const PacketMeta& md, const FragVerdict& v,
                         uint64_t expires) noexcept {
  Entry& e = const_cast<Entry&>(slot(v6, md));
  e.src = md.src;
  e.dst = md.dst;
  e.id = md.fragId;
  e.proto = md.proto;
  e.family = v6 ? 6 : 4;
  e.expires = expires;
  e.verdict = v;
}

bool FragTable::find(bool v6, const PacketMeta& md, uint64_t now, FragVerdict* v) const noexcept {
  const Entry& e = slot(v6, md);
  if (e.family != (v6 ? 6 : 4) || e.src != md.src || e.dst != md.dst || e.id != md.fragId ||
      e.proto != md.proto || e.expires < now) {
    return false;
  }
  *v = e.verdict;
  return true;
}

}  // namespace isogate::dataplane
