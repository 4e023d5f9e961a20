// mgmt/privileges: user lookup errors, and the drop itself in a forked child (needs root):
// the child reports its /proc/self/status credentials and whether setuid(0) still works.
#include "mgmt/privileges.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "tests/policy/netns_helpers.h"

namespace isogate::mgmt {
namespace {

// Runs `body` in a forked child and returns what it returned (the child's only output).
std::string inChild(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out = body();
    ssize_t n = ::write(fds[1], out.data(), out.size());
    ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    out += " [child status " + std::to_string(status) + "]";
  return out;
}

// The lines of a status file that describe credentials, e.g. {"Uid": "65534 65534 65534 65534"}.
std::map<std::string, std::string> credentials(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    if (key != "Uid" && key != "Gid" && key != "Groups" && key.rfind("Cap", 0) != 0 &&
        key != "NoNewPrivs")
      continue;
    std::istringstream v(line.substr(colon + 1));
    std::string word, joined;
    while (v >> word) joined += (joined.empty() ? "" : " ") + word;
    out[key] = joined;
  }
  return out;
}

std::string hex16(CapabilityMask m) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(m));
  return buf;
}

std::string report(const std::map<std::string, std::string>& c) {
  std::string out;
  for (const char* k :
       {"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"}) {
    auto it = c.find(k);
    out += std::string(k) + "=" + (it == c.end() ? "?" : it->second) + ";";
  }
  return out;
}

DropTarget nobody() {
  DropTarget t;
  std::string error;
  EXPECT_TRUE(resolveDropTarget("nobody", t, error)) << error;
  return t;
}

std::string expectedReport(const DropTarget& t, CapabilityMask keep, bool mainThread = true) {
  std::string u = std::to_string(t.uid), g = std::to_string(t.gid), groups;
  for (gid_t x : t.groups) groups += (groups.empty() ? "" : " ") + std::to_string(x);
  std::string caps = hex16(keep), none = hex16(0);
  return "Uid=" + u + " " + u + " " + u + " " + u + ";Gid=" + g + " " + g + " " + g + " " + g +
         ";Groups=" + groups + ";CapInh=" + none + ";CapPrm=" + (mainThread ? caps : none) +
         ";CapEff=" + (mainThread ? caps : none) + ";CapBnd=" + caps + ";CapAmb=" + none +
         ";NoNewPrivs=1;";
}

TEST(Privileges, DescribesCapabilities) {
  EXPECT_EQ(describeCapabilities(0), "none");
  EXPECT_EQ(describeCapabilities(capabilityBit(CAP_NET_ADMIN)), "CAP_NET_ADMIN");
  EXPECT_EQ(describeCapabilities(capabilityBit(CAP_NET_ADMIN) | capabilityBit(CAP_NET_RAW)),
            "CAP_NET_ADMIN,CAP_NET_RAW");
  EXPECT_EQ(describeCapabilities(capabilityBit(40)), "cap 40");
}

TEST(Privileges, UnknownUserIsAPreciseError) {
  DropTarget t;
  std::string error;
  EXPECT_FALSE(resolveDropTarget("no-such-user-isogate", t, error));
  EXPECT_EQ(error, "unknown user 'no-such-user-isogate'");
  EXPECT_FALSE(resolveDropTarget("", t, error));
  EXPECT_EQ(error, "empty user name");
}

TEST(Privileges, RootIsNoTarget) {
  DropTarget t;
  std::string error;
  EXPECT_FALSE(resolveDropTarget("root", t, error));
  EXPECT_EQ(error, "user 'root' is uid 0: that drops nothing");
}

TEST(Privileges, ResolvesNobodyWithItsGroups) {
  passwd* pw = ::getpwnam("nobody");
  ASSERT_NE(pw, nullptr);
  DropTarget t = nobody();
  EXPECT_EQ(t.user, "nobody");
  EXPECT_EQ(t.uid, pw->pw_uid);
  EXPECT_EQ(t.gid, pw->pw_gid);
  EXPECT_NE(std::find(t.groups.begin(), t.groups.end(), pw->pw_gid), t.groups.end());
}

TEST(Privileges, DropKeepsExactlyTheAskedCapabilities) {
  ISOGATE_SKIP_UNLESS_ROOT("needs root to switch users");
  DropTarget t = nobody();
  const CapabilityMask keep = capabilityBit(CAP_NET_ADMIN);
  std::string out = inChild([&] {
    std::string error;
    if (!dropPrivileges(t, keep, error)) return "drop failed: " + error;
    std::string r = report(credentials("/proc/self/status"));
    if (::setuid(0) == 0) r += "setuid(0) worked;";
    if (::setgid(0) == 0) r += "setgid(0) worked;";
    return r;
  });
  EXPECT_EQ(out, expectedReport(t, keep));
}

TEST(Privileges, DropToNoCapabilities) {
  ISOGATE_SKIP_UNLESS_ROOT("needs root to switch users");
  DropTarget t = nobody();
  std::string out = inChild([&] {
    std::string error;
    if (!dropPrivileges(t, 0, error)) return "drop failed: " + error;
    std::string r = report(credentials("/proc/self/status"));
    // A second drop: no longer root, so it must refuse with the reason.
    if (dropPrivileges(t, 0, error)) r += "second drop worked;";
    return r + error;
  });
  EXPECT_EQ(out, expectedReport(t, 0) + "switching to user nobody (uid " + std::to_string(t.uid) +
                     ") needs the daemon started as root (running as uid " + std::to_string(t.uid) +
                     ")");
}

// A thread started after limitCapabilityBound follows the uid change and keeps no capability.
TEST(Privileges, OtherThreadsLoseEverything) {
  ISOGATE_SKIP_UNLESS_ROOT("needs root to switch users");
  DropTarget t = nobody();
  const CapabilityMask keep = capabilityBit(CAP_NET_RAW);
  std::string out = inChild([&] {
    std::string error;
    if (!limitCapabilityBound(keep, error)) return "limit failed: " + error;
    std::atomic<long> tid{0};
    std::atomic<bool> done{false};
    std::thread worker([&] {
      tid = ::syscall(SYS_gettid);
      while (!done) ::usleep(1000);
    });
    while (tid == 0) ::usleep(1000);
    bool ok = dropPrivileges(t, keep, error);
    std::string r =
        ok ? report(credentials("/proc/self/task/" + std::to_string(tid.load()) + "/status"))
           : "drop failed: " + error;
    done = true;
    worker.join();
    return r;
  });
  EXPECT_EQ(out, expectedReport(t, keep, false));
}

// Fail closed: a thread that predates the bounding-set limit keeps a full bounding set, and
// the verification names it.
TEST(Privileges, ThreadStartedTooEarlyFailsTheDrop) {
  ISOGATE_SKIP_UNLESS_ROOT("needs root to switch users");
  DropTarget t = nobody();
  std::string out = inChild([&] {
    std::atomic<long> tid{0};
    std::atomic<bool> done{false};
    std::thread worker([&] {
      tid = ::syscall(SYS_gettid);
      while (!done) ::usleep(1000);
    });
    while (tid == 0) ::usleep(1000);
    std::string error;
    bool ok = dropPrivileges(t, 0, error);
    done = true;
    worker.join();
    return ok ? std::string("drop succeeded") : error + "|" + std::to_string(tid.load());
  });
  auto bar = out.rfind('|');
  ASSERT_NE(bar, std::string::npos) << out;
  std::string tid = out.substr(bar + 1);
  EXPECT_EQ(out.substr(0, bar).rfind("after switching to user nobody (uid " +
                                         std::to_string(t.uid) + "): thread " + tid +
                                         ": bounding set holds CAP_CHOWN,CAP_DAC_OVERRIDE,",
                                     0),
            0u)
      << out;
}

}  // namespace
}  // namespace isogate::mgmt
