#include "gateway/dpdk_heap_prefault.h"

#include <rte_eal.h>
#include <rte_malloc.h>

#include <cstring>
#include <vector>

namespace isogate::gateway {

size_t prefaultDpdkHeap() {
  if (rte_eal_has_hugepages()) return 0;
  // Take the heap in large blocks until none is left (halving the block size down to 1 MiB
  // for the remainders), write each once, then give them all back.
  std::vector<void*> taken;
  size_t touched = 0;
  for (size_t block = size_t{64} << 20; block >= (size_t{1} << 20);) {
    void* p = rte_malloc("isogate-prefault", block, 4096);
    if (!p) {
      block /= 2;
      continue;
    }
    std::memset(p, 0, block);
    taken.push_back(p);
    touched += block;
  }
  for (void* p : taken) rte_free(p);
  return touched;
}

}  // namespace isogate::gateway
