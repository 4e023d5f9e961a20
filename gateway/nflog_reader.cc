#include "gateway/nflog_reader.h"

#include <fcntl.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

extern "C" {
#include <libnetfilter_log/libnetfilter_log.h>
}

namespace isogate::gateway {

namespace {
constexpr int kSocketBuffer = 8 << 20;  // room for bursts of drops while the loop is busy
// Receives per drain(): under a storm the socket never runs empty, and an unbounded drain
// would keep the loop from signals (SIGHUP, SIGTERM) and loss reports until the storm ends.
constexpr int kDrainBatch = 256;
}

NflogReader::NflogReader(Handler handler) : handler_(std::move(handler)), buffer_(1 << 17) {}

NflogReader::~NflogReader() {
  for (auto* g : groups_) nflog_unbind_group(g);
  if (handle_) nflog_close(handle_);
}

bool NflogReader::open(const std::vector<uint16_t>& groups, std::string& error) {
  handle_ = nflog_open();
  if (!handle_) {
    error = std::string("cannot open NFLOG netlink socket: ") + std::strerror(errno);
    return false;
  }
  for (auto group : groups) {
    nflog_g_handle* g = nflog_bind_group(handle_, group);
    if (!g) {
      error = "cannot bind NFLOG group " + std::to_string(group) + ": " + std::strerror(errno);
      return false;
    }
    groups_.push_back(g);
    if (nflog_set_mode(g, NFULNL_COPY_PACKET, 0xffff) < 0) {
      error = "cannot set NFLOG copy mode for group " + std::to_string(group);
      return false;
    }
    // Deliver each packet at once instead of batching up to a second in the kernel.
    nflog_set_qthresh(g, 1);
    nflog_set_timeout(g, 0);
    nflog_callback_register(g, &NflogReader::onPacket, this);
  }
  int fd = nflog_fd(handle_);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kSocketBuffer, sizeof kSocketBuffer);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return true;
}

uint64_t NflogReader::kernelDrops() {
  if (!handle_) return kernelDrops_;
  uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof mem;
  if (getsockopt(nflog_fd(handle_), SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
      len <= SK_MEMINFO_DROPS * sizeof(uint32_t))
    return kernelDrops_;
  kernelDrops_ += static_cast<uint32_t>(mem[SK_MEMINFO_DROPS] - dropsSeen_);
  dropsSeen_ = mem[SK_MEMINFO_DROPS];
  return kernelDrops_;
}

int NflogReader::fd() const { return handle_ ? nflog_fd(handle_) : -1; }

void NflogReader::drain() {
  if (!handle_) return;
  for (int i = 0; i < kDrainBatch; ++i) {
    ssize_t n = recv(nflog_fd(handle_), buffer_.data(), buffer_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the kernel dropped messages; the socket stays usable
        ++lost_;
        continue;
      }
      return;  // EAGAIN: nothing more now
    }
    nflog_handle_packet(handle_, reinterpret_cast<char*>(buffer_.data()), static_cast<int>(n));
  }
}

int NflogReader::onPacket(nflog_g_handle*, nfgenmsg*, nflog_data* nfa, void* self) {
  static_cast<NflogReader*>(self)->handle(nfa);
  return 0;
}

void NflogReader::handle(nflog_data* nfa) {
  const char* prefix = nflog_get_prefix(nfa);
  auto tag = decodeLogPrefix(prefix ? std::string_view(prefix) : std::string_view());
  char* payload = nullptr;
  int len = nflog_get_payload(nfa, &payload);
  if (!tag || len <= 0) {
    ++unreadable_;
    return;
  }
  auto summary = summarizePacket({reinterpret_cast<const uint8_t*>(payload), static_cast<size_t>(len)});
  if (!summary) {
    ++unreadable_;
    return;
  }
  std::string in;
  if (uint32_t ifindex = nflog_get_indev(nfa)) {
    char name[IF_NAMESIZE] = {};
    if (if_indextoname(ifindex, name)) in = name;
  }
  handler_(*tag, *summary, in);
}

}  // namespace isogate::gateway
