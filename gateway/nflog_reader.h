// Reads the packets the kernel ruleset sends to its NFLOG groups (drops, and new flows of
// `log: true` rules) and hands each over as a LogTag + PacketSummary. Non-blocking: the
// gateway's loop calls drain() when the descriptor is readable. Messages the kernel could
// not queue (the socket buffer was full) are counted, never waited for.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/violation_event.h"

struct nflog_handle;
struct nflog_g_handle;
struct nflog_data;
struct nfgenmsg;

namespace isogate::gateway {

class NflogReader {
 public:
  using Handler = std::function<void(const LogTag&, const PacketSummary&, const std::string& inInterface)>;

  explicit NflogReader(Handler handler);
  ~NflogReader();
  NflogReader(const NflogReader&) = delete;
  NflogReader& operator=(const NflogReader&) = delete;

  // Binds the groups; false with a reason when the kernel refuses.
  bool open(const std::vector<uint16_t>& groups, std::string& error);
  int fd() const;
  // Reads what is queued now, up to a batch (poll again for the rest); never blocks.
  void drain();

  uint64_t lost() const { return lost_; }         // ENOBUFS: the kernel dropped log messages
  // How many log messages the kernel dropped for this socket (its drop counter, SO_MEMINFO),
  // exact: ENOBUFS only says "some", once per congestion, and a storm can cost hundreds of
  // thousands of messages without the reader ever seeing it (tests/e2e/test_storm.py).
  uint64_t kernelDrops();
  uint64_t unreadable() const { return unreadable_; }  // foreign prefixes, unparsable packets

 private:
  static int onPacket(nflog_g_handle* gh, nfgenmsg* nfmsg, nflog_data* nfa, void* self);
  void handle(nflog_data* nfa);

  Handler handler_;
  nflog_handle* handle_ = nullptr;
  std::vector<nflog_g_handle*> groups_;
  std::vector<uint8_t> buffer_;
  uint64_t lost_ = 0;
  uint64_t unreadable_ = 0;
  uint32_t dropsSeen_ = 0;     // the kernel's 32-bit counter at the last read
  uint64_t kernelDrops_ = 0;   // its increments since open(), wrap-safe
};

}  // namespace isogate::gateway
