// Fuzz target for the data plane: any bytes as one Ethernet frame through the
// parser and then the whole pipeline of an in-process Dataplane (the test
// harness: four ports, the standard test policy, no NIC). Byte 0 picks the
// ingress port (low 2 bits) and how far the clock moves first (the other 6,
// in 50 ms steps, so flows and fragments also expire); the rest is the frame.
// The Dataplane lives across inputs, so flow, fragment and neighbour state
// build up as they would on a wire. Invariants: no crash or sanitizer report,
// the parse result stays inside the frame, and every packet is counted once.
#include <rte_mbuf.h>

#include <cstddef>
#include <cstdint>

#include "dataplane/parse.h"
#include "tests/dataplane/harness.h"
#include "tests/fuzz/fuzz_check.h"

using namespace isogate::dataplane;
using namespace isogate::dataplane::test;

namespace {

constexpr size_t kMaxFrame = 2048;  // the mbuf data room

Harness& harness() {
  static Harness* h = [] {
    EalEnvironment eal;
    eal.SetUp();
    if (!EalEnvironment::pool()) std::abort();
    auto* made = new Harness();
    made->learnHosts(
        {"172.16.30.10", "10.20.5.5", "203.0.113.1", "fd30::10", "fd20::5", "2001:db8:1::1"});
    return made;
  }();
  return *h;
}

uint64_t accounted(const CounterTotals& t) {
  uint64_t n = t.forwarded + t.answered;
  for (int r = 0; r < kDropReasonCount; ++r) n += t.drops[r];
  return n;
}

void checkParse(const Bytes& frame) {
  rte_mbuf* m = toMbuf(frame);
  PacketMeta md;
  parsePacket(m, md);
  if (md.action != Action::Drop && (md.l3 == L3Kind::Ipv4 || md.l3 == L3Kind::Ipv6)) {
    FUZZ_CHECK(md.l2Len + md.ipLen <= frame.size());
    FUZZ_CHECK(md.l3Len <= md.ipLen);
  }
  if (md.action == Action::Drop) FUZZ_CHECK(md.reason != DropReason::None);
  rte_pktmbuf_free(m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > kMaxFrame + 1) return -1;  // -1: not added to the corpus
  Harness& h = harness();
  const uint16_t port = data[0] & 3;
  h.advanceSeconds(0.05 * (data[0] >> 2));
  const Bytes frame(data + 1, data + size);
  checkParse(frame);

  const CounterTotals before = h.dp().totals();
  (void)h.send(port, frame);
  const CounterTotals after = h.dp().totals();
  FUZZ_CHECK(after.rx == before.rx + 1);
  // A packet for an unresolved next hop may wait in the hold queue, and a held
  // packet may be settled later, so the sum is bounded rather than exact.
  FUZZ_CHECK(accounted(after) <= after.rx);
  return 0;
}
