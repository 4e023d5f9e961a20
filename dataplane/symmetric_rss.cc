#include "dataplane/symmetric_rss.h"

#include <rte_thash.h>

namespace isogate::dataplane {

uint32_t symmetricRssHash(bool v6, U128 src, U128 dst, bool withPorts, uint16_t sport,
                          uint16_t dport) noexcept {
  // The tuple as rte_softrss reads it: 32-bit words in host order, as struct
  // rte_ipv4_tuple / rte_ipv6_tuple lay it out.
  uint32_t t[RTE_THASH_V6_L4_LEN];
  uint32_t n = 0;
  const int words = v6 ? 4 : 1;
  for (int i = words - 1; i >= 0; --i) t[n++] = static_cast<uint32_t>(src >> (32 * i));
  for (int i = words - 1; i >= 0; --i) t[n++] = static_cast<uint32_t>(dst >> (32 * i));
  if (withPorts) t[n++] = uint32_t{sport} << 16 | dport;
  return rte_softrss(t, n, kSymmetricRssKey);
}

}  // namespace isogate::dataplane
