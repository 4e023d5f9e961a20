#include "dataplane/fast_path_memory.h"

#include <linux/mempolicy.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace isogate::dataplane {

namespace {

size_t roundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

// The node as the preferred place of the pages (not a binding: a full node falls back to
// another, as the DPDK heap's socket does not). mbind by syscall: no libnuma for one call.
void preferNode(void* p, size_t bytes, int socket) {
  if (socket < 0 || socket >= 64) return;  // SOCKET_ID_ANY, or beyond one mask word
  unsigned long mask = 1UL << socket;
  // maxnode counts one more than the mask's bits (the kernel reads maxnode - 1 of them).
  syscall(SYS_mbind, p, bytes, MPOL_PREFERRED, &mask, sizeof mask * 8 + 1, 0);
}

}  // namespace

bool FastPathMemory::allocate(const std::string& name, size_t bytes, int socket,
                              std::string* error) {
  release();
  if (bytes == 0) bytes = 64;
  if (rte_eal_has_hugepages()) {
    data_ = rte_zmalloc_socket(name.c_str(), bytes, 64, socket);
    if (!data_)
      *error = name + ": cannot allocate " + std::to_string(bytes) +
               " bytes from the DPDK heap (raise -m)";
    return data_ != nullptr;
  }
  const size_t size = roundUp(bytes, kHugePage);
  // One huge page more than needed, so that a 2 MiB-aligned part of `size` bytes is in it;
  // the rest is given back at once.
  void* raw =
      mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    *error = name + ": cannot map " + std::to_string(size) + " bytes: " + std::strerror(errno);
    return false;
  }
  auto* start = static_cast<char*>(raw);
  auto* aligned = reinterpret_cast<char*>(roundUp(reinterpret_cast<uintptr_t>(start), kHugePage));
  if (aligned > start) munmap(start, static_cast<size_t>(aligned - start));
  const size_t tail = static_cast<size_t>(start + size + kHugePage - (aligned + size));
  if (tail) munmap(aligned + size, tail);
  data_ = aligned;
  mapBytes_ = size;
  preferNode(aligned, size, socket);
  // Advice only: without transparent huge pages the table is in 4 KiB pages, as before.
  madvise(aligned, size, MADV_HUGEPAGE);
  // Present now, not at the data path's first write (anonymous memory reads as zero).
  volatile char* page = aligned;
  const auto step = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (size_t off = 0; off < size; off += step) page[off] = 0;
  return true;
}

void FastPathMemory::release() noexcept {
  if (mapBytes_) {
    munmap(data_, mapBytes_);
  } else {
    rte_free(data_);
  }
  data_ = nullptr;
  mapBytes_ = 0;
}

}  // namespace isogate::dataplane
