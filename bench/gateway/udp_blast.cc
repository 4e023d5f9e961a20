// isogate-udp-blast IFACE DST_MAC SRC_IP DST_IP DPORT FLOWS SECONDS
// A minimal traffic source for the forwarding benchmark: 64-byte IPv4/UDP frames (FLOWS
// distinct source ports) written with sendmmsg on an AF_PACKET socket that bypasses the
// qdisc. Prints the number of frames sent. Only for namespaces the benchmark created.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

uint16_t checksum(const void* data, size_t len) {
  uint32_t sum = 0;
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum));
}

bool parseMac(const char* s, uint8_t out[6]) {
  unsigned v[6];
  if (std::sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return false;
  for (int i = 0; i < 6; ++i) out[i] = static_cast<uint8_t>(v[i]);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: isogate-udp-blast IFACE DST_MAC SRC_IP DST_IP DPORT FLOWS SECONDS\n");
    return 2;
  }
  const char* iface = argv[1];
  uint8_t dstMac[6], srcMac[6];
  in_addr src{}, dst{};
  if (!parseMac(argv[2], dstMac) || inet_pton(AF_INET, argv[3], &src) != 1 || inet_pton(AF_INET, argv[4], &dst) != 1) {
    std::fprintf(stderr, "bad address\n");
    return 2;
  }
  const int dport = std::atoi(argv[5]), flows = std::max(1, std::atoi(argv[6]));
  const double seconds = std::atof(argv[7]);

  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    std::perror("socket");
    return 1;
  }
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", iface);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 || ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
    std::perror("ioctl");
    return 1;
  }
  ioctl(fd, SIOCGIFHWADDR, &ifr);
  std::memcpy(srcMac, ifr.ifr_hwaddr.sa_data, 6);
  ioctl(fd, SIOCGIFINDEX, &ifr);
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_ifindex = ifr.ifr_ifindex;
  ll.sll_halen = 6;
  std::memcpy(ll.sll_addr, dstMac, 6);

  constexpr size_t kFrame = 60;  // + 4 FCS on a wire = 64
  std::vector<std::vector<uint8_t>> frames(flows, std::vector<uint8_t>(kFrame, 0));
  for (int f = 0; f < flows; ++f) {
    uint8_t* p = frames[f].data();
    std::memcpy(p, dstMac, 6);
    std::memcpy(p + 6, srcMac, 6);
    p[12] = 0x08;
    p[13] = 0x00;
    auto* ip = reinterpret_cast<iphdr*>(p + 14);
    ip->version = 4;
    ip->ihl = 5;
    ip->tot_len = htons(kFrame - 14);
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    ip->saddr = src.s_addr;
    ip->daddr = dst.s_addr;
    ip->check = checksum(ip, 20);
    auto* udp = reinterpret_cast<udphdr*>(p + 34);
    udp->source = htons(static_cast<uint16_t>(20000 + f));
    udp->dest = htons(static_cast<uint16_t>(dport));
    udp->len = htons(kFrame - 34);
  }

  constexpr int kBatch = 64;
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  uint64_t sent = 0;
  int next = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {frames[next].data(), kFrame};
      next = (next + 1) % flows;
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_name = &ll;
      msgs[i].msg_hdr.msg_namelen = sizeof ll;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(fd, msgs.data(), kBatch, 0);
    if (n > 0) sent += static_cast<uint64_t>(n);
  }
  std::printf("%llu\n", static_cast<unsigned long long>(sent));
  close(fd);
  return 0;
}
