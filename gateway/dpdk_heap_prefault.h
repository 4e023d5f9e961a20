// Without hugepages (`--no-huge`), the EAL maps its heap (`-m`) from a memfd whose pages
// the kernel supplies on first touch: a worker's first write to a fresh mbuf or to a flow
// table slot would then be a page fault on the data path, and a box short of memory would
// find out under load. prefaultDpdkHeap() writes every free byte of the heap once, block
// by block, before any pool, table or port takes its share, as hugepages are reserved before
// they are used.
#pragma once

#include <cstddef>

namespace isogate::gateway {

// After rte_eal_init(). Does nothing when the EAL runs in hugepages (already reserved).
// Returns the bytes touched.
size_t prefaultDpdkHeap();

}  // namespace isogate::gateway
