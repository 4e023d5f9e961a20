// Every capture under /work/shared/corpus (recursively, read in place) goes
// through the parser and the whole pipeline on every port: no crash, no read
// out of bounds (under ASan), and every packet accounted for exactly once.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <filesystem>

#include "tests/dataplane/harness.h"

namespace isogate::dataplane::test {
namespace {

namespace fs = std::filesystem;

const char* const kCorpus = "/work/shared/corpus";

// The frame as Ethernet, or empty when the link type is not one we can wrap.
Bytes asEthernet(int linktype, const uint8_t* data, uint32_t len) {
  if (linktype == DLT_EN10MB) return Bytes(data, data + len);
  if (linktype == DLT_RAW || linktype == 228 /* IPv4 */ || linktype == 229 /* IPv6 */) {
    if (len == 0) return {};
    Bytes f(kGwMac, kGwMac + 6);
    f.insert(f.end(), kHostMac, kHostMac + 6);
    const bool v6 = (data[0] >> 4) == 6;
    f.push_back(v6 ? 0x86 : 0x08);
    f.push_back(v6 ? 0xdd : 0x00);
    f.insert(f.end(), data, data + len);
    return f;
  }
  if (linktype == DLT_LINUX_SLL && len >= 16) {
    Bytes f(kGwMac, kGwMac + 6);
    f.insert(f.end(), kHostMac, kHostMac + 6);
    f.push_back(data[14]);
    f.push_back(data[15]);
    f.insert(f.end(), data + 16, data + len);
    return f;
  }
  return {};
}

TEST(CorpusTest, EveryCapturedFrameIsJudgedWithoutCrashAndAccountedOnce) {
  if (!fs::is_directory(kCorpus)) GTEST_SKIP() << kCorpus << " is not there";
  Harness h;
  h.learnHosts(
      {"172.16.30.10", "10.20.5.5", "203.0.113.1", "fd30::10", "fd20::5", "2001:db8:1::1"});
  size_t files = 0, frames = 0;
  std::vector<Bytes> burst;
  TxBuffer tx;
  uint16_t port = 0;
  auto flush = [&] {
    if (burst.empty()) return;
    h.sendBurst(port, burst, tx);
    tx.freeAll();
    burst.clear();
    port = static_cast<uint16_t>((port + 1) % 4);
  };
  for (const auto& entry : fs::recursive_directory_iterator(kCorpus)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".pcap" && ext != ".pcapng" && ext != ".cap") continue;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(entry.path().c_str(), err);
    if (!p) continue;  // not a capture libpcap reads: nothing to feed
    ++files;
    const int linktype = pcap_datalink(p);
    pcap_pkthdr* hdr;
    const u_char* data;
    int rc;
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
      Bytes f = asEthernet(linktype, data, hdr->caplen);
      if (f.empty() || f.size() > 2000) continue;
      burst.push_back(std::move(f));
      ++frames;
      if (burst.size() == kBurstSize) flush();
    }
    pcap_close(p);
    flush();
  }
  flush();
  const CounterTotals t = h.dp().totals();
  uint64_t dropped = 0;
  for (int r = 0; r < kDropReasonCount; ++r) dropped += t.drops[r];
  EXPECT_EQ(t.rx, frames);
  EXPECT_EQ(t.rx, t.forwarded + t.answered + dropped);
  EXPECT_GT(files, 10u);
  EXPECT_GT(t.drops[static_cast<int>(DropReason::Malformed)], 0u);
  std::printf("corpus: %zu files, %zu frames, %lu forwarded, %lu malformed\n", files, frames,
              static_cast<unsigned long>(t.forwarded),
              static_cast<unsigned long>(t.drops[static_cast<int>(DropReason::Malformed)]));
}

}  // namespace
}  // namespace isogate::dataplane::test
