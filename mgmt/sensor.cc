// Sensor. pcap's selectable fd plus an eventfd in one poll(), so stop() never
// waits for traffic; the capture never transmits (pcap_inject is never called).
#include "mgmt/sensor.h"

#include <pcap/pcap.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

namespace isogate::mgmt {

Sensor::Sensor(std::string interface, FrameInspector inspect, EventSink sink)
    : interface_(std::move(interface)), inspect_(std::move(inspect)), sink_(std::move(sink)) {}

Sensor::~Sensor() { stop(); }

bool Sensor::start(std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(interface_.c_str(), errbuf);
  if (!p) {
    error = "sensor " + interface_ + ": " + errbuf;
    return false;
  }
  pcap_set_snaplen(p, 256);  // headers are all the inspector reads (incl. VLAN and tunnels)
  pcap_set_promisc(p, 1);
  pcap_set_immediate_mode(p, 1);
  pcap_set_timeout(p, 100);
  int rc = pcap_activate(p);
  if (rc < 0) {
    error = "sensor " + interface_ + ": " + pcap_geterr(p);
    pcap_close(p);
    return false;
  }
  // Inbound only where the kernel supports it: the sensor judges what the segment carries.
  pcap_setdirection(p, PCAP_D_IN);
  if (pcap_setnonblock(p, 1, errbuf) != 0 || pcap_get_selectable_fd(p) < 0) {
    error = "sensor " + interface_ + ": cannot capture without blocking";
    pcap_close(p);
    return false;
  }
  linkType_ = pcap_datalink(p);
  pcap_ = p;
  stopFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] { run(); });
  return true;
}

void Sensor::stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(stopFd_, &one, sizeof(one));
    thread_.join();
  }
  if (pcap_) pcap_close(static_cast<pcap_t*>(pcap_));
  pcap_ = nullptr;
  if (stopFd_ >= 0) ::close(stopFd_);
  stopFd_ = -1;
}

void Sensor::handleFrame(int linkType, const uint8_t* data, size_t len) {
  frames_.fetch_add(1, std::memory_order_relaxed);
  std::optional<Event> e;
  try {
    e = inspect_(linkType, data, len);
  } catch (...) {
    // The inspector must not take the sensor down; count and carry on.
    errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!e) return;
  breaches_.fetch_add(1, std::memory_order_relaxed);
  e->type = EventType::IsolationBreach;
  if (!e->field("interface")) e->set("interface", interface_);
  sink_(std::move(*e));
}

SensorStats Sensor::stats() const { return {frames_.load(), breaches_.load(), errors_.load()}; }

void Sensor::run() {
  auto* p = static_cast<pcap_t*>(pcap_);
  int pfd = pcap_get_selectable_fd(p);
  for (;;) {
    pollfd fds[2] = {{pfd, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    int r = ::poll(fds, 2, 100);
    if (r < 0 && errno != EINTR) break;
    if (fds[1].revents) break;
    int n = pcap_dispatch(
        p, 64,
        [](u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
          auto* self = reinterpret_cast<Sensor*>(user);
          self->handleFrame(self->linkType_, bytes, h->caplen);
        },
        reinterpret_cast<u_char*>(this));
    if (n == PCAP_ERROR) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      // The interface went away or broke: report once a second rather than spin.
      uint64_t v = 0;
      pollfd s{stopFd_, POLLIN, 0};
      if (::poll(&s, 1, 1000) > 0 && ::read(stopFd_, &v, sizeof(v)) > 0) break;
    }
  }
}

}  // namespace isogate::mgmt
