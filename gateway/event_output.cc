#include "gateway/event_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mgmt/event_sender.h"

namespace isogate::gateway {

EventOutput::EventOutput(const EventOutputOptions& options) : options_(options) {
  identity_.hostname = options.hostname.empty() ? "-" : options.hostname;
}

EventOutput::~EventOutput() {
  if (ownFd_ && fd_ >= 0) ::close(fd_);
}

bool EventOutput::open(std::string& error) {
  if (options_.linesPath.empty()) {
    fd_ = STDOUT_FILENO;
    // A pipe nobody drains must not stall the gateway: lines that do not fit are counted.
    struct stat st;
    if (fstat(fd_, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
      fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
    }
  } else if (options_.linesPath != "-") {
    fd_ = ::open(options_.linesPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0) {
      error = "cannot open events file " + options_.linesPath + ": " + std::strerror(errno);
      return false;
    }
    ownFd_ = true;
  }
  if (!options_.mgmtSocket.empty()) sender_ = std::make_unique<mgmt::EventSender>(options_.mgmtSocket);
  return true;
}

void EventOutput::setPolicy(const std::string& digest, const std::string& name) {
  identity_.policyDigest = digest;
  identity_.policyName = name;
}

void EventOutput::tick() {
  if (sender_) sender_->reportPendingDrops();
}

bool EventOutput::sendFlows(const mgmt::FlowSnapshot& s) { return sender_ && sender_->sendFlows(s); }

mgmt::Event EventOutput::withPolicy(const mgmt::Event& event) const {
  mgmt::Event e = event;
  // Every event names the policy (SPEC §4); the encoder only fills in what is missing, the
  // sender's datagram must carry it itself.
  if (!e.field("policy") && !identity_.policyDigest.empty()) e.set("policy", identity_.policyDigest);
  if (!e.field("policy_name") && !identity_.policyName.empty()) e.set("policy_name", identity_.policyName);
  return e;
}

void EventOutput::emit(const mgmt::Event& event) {
  ++emitted_;
  mgmt::Event e = withPolicy(event);
  if (sender_) sender_->send(e);  // never blocks; drops are counted and reported by the sender
  writeLine(e);
}

bool EventOutput::emitReport(const mgmt::Event& event) {
  mgmt::Event e = withPolicy(event);
  if (sender_ && !sender_->trySend(e)) return false;
  ++emitted_;
  writeLine(e);
  return true;
}

bool EventOutput::sendStats(const mgmt::GatewayStats& stats) { return sender_ && sender_->sendStats(stats); }

void EventOutput::writeLine(const mgmt::Event& e) {
  if (fd_ < 0) return;
  std::string line = mgmt::encodeRfc5424(e, identity_);
  line += '\n';
  // One write() per line so concurrent readers never see half a line in an O_APPEND file.
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(line.size())) ++lostLines_;
}

}  // namespace isogate::gateway
