#include "gateway/dpdk_pcap_count.h"

#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

namespace isogate::gateway {

namespace {

uint32_t swap32(uint32_t v) { return __builtin_bswap32(v); }

}  // namespace

int64_t countPcapFrames(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return -1;
  uint32_t header[6];
  int64_t frames = -1;
  if (std::fread(header, sizeof header, 1, f) == 1) {
    const uint32_t magic = header[0];
    // Microsecond and nanosecond pcap, native or swapped byte order.
    const bool native = magic == 0xA1B2C3D4 || magic == 0xA1B23C4D;
    const bool swapped = magic == 0xD4C3B2A1 || magic == 0x4D3CB2A1;
    if (native || swapped) {
      frames = 0;
      uint32_t rec[4];
      while (std::fread(rec, sizeof rec, 1, f) == 1) {
        const uint32_t caplen = swapped ? swap32(rec[2]) : rec[2];
        if (std::fseek(f, static_cast<long>(caplen), SEEK_CUR) != 0) break;
        ++frames;
      }
    }
  }
  std::fclose(f);
  return frames;
}

uint64_t infiniteRxFrames(const std::string& device) {
  std::vector<std::string> rxFiles;
  bool infinite = false;
  std::stringstream ss(device);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item == "infinite_rx=1") infinite = true;
    if (item.rfind("rx_pcap=", 0) == 0) rxFiles.push_back(item.substr(std::strlen("rx_pcap=")));
  }
  if (!infinite) return 0;
  uint64_t total = 0;
  for (const auto& path : rxFiles) {
    const int64_t n = countPcapFrames(path);
    total += n < 0 ? kUnknownCaptureFrames : static_cast<uint64_t>(n);
  }
  return total;
}

}  // namespace isogate::gateway
