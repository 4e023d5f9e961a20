#include "dataplane/flow_table.h"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <cstring>

#include "dataplane/wire.h"

namespace isogate::dataplane {

FlowTable::~FlowTable() {
  if (hash_) rte_hash_free(hash_);
}

bool FlowTable::init(const std::string& name, uint32_t capacity, int socket, std::string* error) {
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = capacity < 64 ? 64 : capacity;
  p.key_len = sizeof(FlowKey);
  p.hash_func = rte_hash_crc;
  p.hash_func_init_val = 0x1505;
  p.socket_id = socket;
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  hash_ = rte_hash_create(&p);
  if (!hash_) {
    *error = "rte_hash_create(" + name + "): " + rte_strerror(rte_errno);
    return false;
  }
  capacity_ = p.entries;
  entries_ = std::make_unique<FlowEntry[]>(static_cast<size_t>(rte_hash_max_key_id(hash_)) + 1);
  return true;
}

void FlowTable::lookupBulk(const FlowKey* const* keys, uint32_t n,
                           int32_t* positions) const noexcept {
  if (n == 0) return;
  rte_hash_lookup_bulk(hash_, reinterpret_cast<const void**>(const_cast<const FlowKey**>(keys)), n,
                       positions);
  for (uint32_t i = 0; i < n; ++i) {
    if (positions[i] < 0) positions[i] = -1;
  }
}

int32_t FlowTable::lookup(const FlowKey& key) const noexcept {
  const int32_t pos = rte_hash_lookup(hash_, &key);
  return pos < 0 ? -1 : pos;
}

int32_t FlowTable::insert(const FlowKey& key) noexcept {
  if (rte_hash_count(hash_) >= static_cast<int32_t>(capacity_)) return lookup(key);
  const int32_t pos = rte_hash_add_key(hash_, &key);
  return pos < 0 ? -1 : pos;
}

void FlowTable::erase(const FlowKey& key) noexcept { rte_hash_del_key(hash_, &key); }

uint32_t FlowTable::size() const noexcept { return static_cast<uint32_t>(rte_hash_count(hash_)); }

bool FlowTable::next(uint32_t* cursor, const FlowKey** key, int32_t* pos) const noexcept {
  const void* k;
  void* data;
  const int32_t p = rte_hash_iterate(hash_, &k, &data, cursor);
  if (p < 0) return false;
  *key = static_cast<const FlowKey*>(k);
  *pos = p;
  return true;
}

uint32_t FlowTable::expire(uint64_t now, uint32_t budget) noexcept {
  uint32_t removed = 0;
  for (uint32_t seen = 0; seen < budget; ++seen) {
    const FlowKey* key;
    int32_t pos;
    if (!next(&cursor_, &key, &pos)) {
      cursor_ = 0;
      break;
    }
    if (entries_[pos].expires <= now) {
      FlowKey copy;
      std::memcpy(&copy, key, sizeof copy);
      rte_hash_del_key(hash_, &copy);
      ++removed;
    }
  }
  return removed;
}

}  // namespace isogate::dataplane
