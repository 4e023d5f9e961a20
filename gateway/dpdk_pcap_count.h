// How many mbufs a net_pcap device with `infinite_rx=1` keeps for itself: the PMD copies every
// frame of each rx_pcap file into an mbuf of the RX pool at queue setup and holds them for the
// whole run (rx_queue_setup fails with EINVAL when the pool cannot hold them all). Used to size
// the pool (gateway/dpdk_ports.cc); benchmarks replay captures of 100k frames and more.
#pragma once

#include <cstdint>
#include <string>

namespace isogate::gateway {

// Frames in the rx_pcap files of `device` when it has infinite_rx=1, else 0. A file that is
// not a classic pcap (e.g. pcapng) or cannot be read counts as kUnknownCaptureFrames.
inline constexpr uint64_t kUnknownCaptureFrames = 131072;
uint64_t infiniteRxFrames(const std::string& device);

// Frames in a classic pcap file (either byte order), or -1 when it cannot be read as one.
int64_t countPcapFrames(const std::string& path);

}  // namespace isogate::gateway
