// Privilege drop with raw capset/prctl: the few calls needed do not justify libcap(-ng),
// and neither library makes capability changes process-wide anyway (they are per thread),
// which the two-phase design (privileges.h) handles instead.
#include "mgmt/privileges.h"

#include <dirent.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace isogate::mgmt {

namespace {

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

int lastCapability() {
  int last = -1;
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  if (in >> last && last > 0 && last < 64) return last;
  // No /proc: ask the kernel cap by cap until it no longer knows the number.
  for (last = 0; last < 63 && ::prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0; ++last) {
  }
  return last;
}

CapabilityMask knownCapabilities() {
  int last = lastCapability();
  return last >= 63 ? ~CapabilityMask{0} : (capabilityBit(last + 1) - 1);
}

// What /proc/self/task/TID/status says about one thread's credentials.
struct ThreadCredentials {
  uid_t uid[4] = {};  // real, effective, saved, filesystem
  gid_t gid[4] = {};
  std::vector<gid_t> groups;
  CapabilityMask inheritable = 0, permitted = 0, effective = 0, bounding = 0, ambient = 0;
  int noNewPrivs = -1;
  int seen = 0;  // how many of the fields above were found
};

bool readCredentials(const std::string& path, ThreadCredentials& c, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = errnoText("cannot read " + path);
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    std::istringstream v(line.substr(colon + 1));
    auto mask = [&](CapabilityMask& out) {
      v >> std::hex >> out;
      ++c.seen;
    };
    if (key == "Uid") {
      for (auto& x : c.uid) v >> x;
      ++c.seen;
    } else if (key == "Gid") {
      for (auto& x : c.gid) v >> x;
      ++c.seen;
    } else if (key == "Groups") {
      gid_t g;
      while (v >> g) c.groups.push_back(g);
      ++c.seen;
    } else if (key == "CapInh") {
      mask(c.inheritable);
    } else if (key == "CapPrm") {
      mask(c.permitted);
    } else if (key == "CapEff") {
      mask(c.effective);
    } else if (key == "CapBnd") {
      mask(c.bounding);
    } else if (key == "CapAmb") {
      mask(c.ambient);
    } else if (key == "NoNewPrivs") {
      v >> c.noNewPrivs;
      ++c.seen;
    }
  }
  if (c.seen < 9) {
    error = path + ": credentials incomplete (" + std::to_string(c.seen) + " of 9 fields)";
    return false;
  }
  return true;
}

std::vector<std::string> threadIds(std::string& error) {
  std::vector<std::string> ids;
  DIR* d = ::opendir("/proc/self/task");
  if (!d) {
    error = errnoText("cannot list /proc/self/task");
    return ids;
  }
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ids.emplace_back(e->d_name);
  ::closedir(d);
  if (ids.empty()) error = "/proc/self/task lists no thread";
  return ids;
}

std::vector<gid_t> sortedUnique(std::vector<gid_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

bool setCapabilitySets(CapabilityMask keep, std::string& error) {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
    auto word = static_cast<uint32_t>(keep >> (32 * i));
    data[i].permitted = word;
    data[i].effective = word;
    data[i].inheritable = 0;
  }
  if (::syscall(SYS_capset, &header, data) != 0) {
    error = errnoText("capset(" + describeCapabilities(keep) + ")");
    return false;
  }
  return true;
}

}  // namespace

std::string describeCapabilities(CapabilityMask caps) {
  static const std::pair<int, const char*> kNames[] = {
      {CAP_CHOWN, "CAP_CHOWN"},
      {CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE"},
      {CAP_SETGID, "CAP_SETGID"},
      {CAP_SETUID, "CAP_SETUID"},
      {CAP_SETPCAP, "CAP_SETPCAP"},
      {CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE"},
      {CAP_NET_ADMIN, "CAP_NET_ADMIN"},
      {CAP_NET_RAW, "CAP_NET_RAW"},
      {CAP_IPC_LOCK, "CAP_IPC_LOCK"},
      {CAP_SYS_ADMIN, "CAP_SYS_ADMIN"},
      {CAP_SYS_RAWIO, "CAP_SYS_RAWIO"},
      {CAP_SYS_NICE, "CAP_SYS_NICE"},
      {CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE"}};
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(caps & capabilityBit(cap))) continue;
    std::string name = "cap " + std::to_string(cap);
    for (const auto& [n, text] : kNames)
      if (n == cap) name = text;
    out += (out.empty() ? "" : ",") + name;
  }
  return out.empty() ? "none" : out;
}

bool resolveDropTarget(const std::string& name, DropTarget& out, std::string& error) {
  if (name.empty()) {
    error = "empty user name";
    return false;
  }
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  int rc;
  while ((rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE)
    buf.resize(buf.size() * 2);
  if (rc != 0) {
    error = "cannot look up user '" + name + "': " + std::strerror(rc);
    return false;
  }
  if (!found) {
    error = "unknown user '" + name + "'";
    return false;
  }
  if (pw.pw_uid == 0) {
    error = "user '" + name + "' is uid 0: that drops nothing";
    return false;
  }
  DropTarget t;
  t.user = name;
  t.uid = pw.pw_uid;
  t.gid = pw.pw_gid;
  int n = 32;
  t.groups.resize(static_cast<size_t>(n));
  while (::getgrouplist(name.c_str(), t.gid, t.groups.data(), &n) < 0) {
    if (n <= static_cast<int>(t.groups.size())) {  // no growth asked for: a lookup failure
      error = "cannot list the groups of user '" + name + "'";
      return false;
    }
    t.groups.resize(static_cast<size_t>(n));
  }
  t.groups.resize(static_cast<size_t>(n));
  t.groups = sortedUnique(std::move(t.groups));
  out = std::move(t);
  return true;
}

bool limitCapabilityBound(CapabilityMask keep, std::string& error) {
  int last = lastCapability();
  for (int cap = 0; cap <= last; ++cap) {
    if (keep & capabilityBit(cap)) continue;
    int in = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (in == 0) continue;
    if (in < 0 || ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      error = errnoText("cannot drop " + describeCapabilities(capabilityBit(cap)) +
                        " from the bounding set");
      return false;
    }
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    error = errnoText("cannot set no_new_privs");
    return false;
  }
  return true;
}

bool dropPrivileges(const DropTarget& to, CapabilityMask keep, std::string& error) {
  const std::string who = "user " + to.user + " (uid " + std::to_string(to.uid) + ")";
  if (::geteuid() != 0) {
    error = "switching to " + who + " needs the daemon started as root (running as uid " +
            std::to_string(::geteuid()) + ")";
    return false;
  }
  if (to.uid == 0) {
    error = "refusing to switch to uid 0";
    return false;
  }
  if (keep & ~knownCapabilities()) {
    error = "this kernel does not know " + describeCapabilities(keep & ~knownCapabilities());
    return false;
  }
  if (!limitCapabilityBound(keep, error)) return false;
  // Ambient capabilities (a root shell under a unit that set some) would survive the uid
  // change on their own; EINVAL: a kernel without ambient capabilities has none to clear.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    error = errnoText("cannot clear the ambient capabilities");
    return false;
  }
  // Keep this thread's permitted set across setresuid; capset then narrows it to `keep`.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    error = errnoText("cannot set keep-capabilities");
    return false;
  }
  if (::setgroups(to.groups.size(), to.groups.data()) != 0) {
    error = errnoText("setgroups for " + who);
    return false;
  }
  if (::setresgid(to.gid, to.gid, to.gid) != 0) {
    error = errnoText("setresgid(" + std::to_string(to.gid) + ")");
    return false;
  }
  if (::setresuid(to.uid, to.uid, to.uid) != 0) {
    error = errnoText("setresuid(" + std::to_string(to.uid) + ")");
    return false;
  }
  if (!setCapabilitySets(keep, error)) return false;
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
    error = errnoText("cannot clear keep-capabilities");
    return false;
  }
  if (!verifyDropped(to, keep, error)) {
    error = "after switching to " + who + ": " + error;
    return false;
  }
#if defined(__SANITIZE_ADDRESS__)
  // Sanitizer builds only: the uid change made the process non-dumpable, and LeakSanitizer's
  // exit-time scan ptraces the threads, which that forbids (the daemon would fail at exit).
  ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
  return true;
}

bool verifyDropped(const DropTarget& to, CapabilityMask keep, std::string& error) {
  const std::string self = std::to_string(::syscall(SYS_gettid));
  auto ids = threadIds(error);
  if (ids.empty()) return false;
  const auto groups = sortedUnique(to.groups);
  for (const auto& tid : ids) {
    ThreadCredentials c;
    if (!readCredentials("/proc/self/task/" + tid + "/status", c, error)) return false;
    const bool main = tid == self;
    const std::string t = "thread " + tid + ": ";
    for (int i = 0; i < 4; ++i) {
      if (c.uid[i] != to.uid) {
        error = t + "uid " + std::to_string(c.uid[i]) + ", expected " + std::to_string(to.uid);
        return false;
      }
      if (c.gid[i] != to.gid) {
        error = t + "gid " + std::to_string(c.gid[i]) + ", expected " + std::to_string(to.gid);
        return false;
      }
    }
    if (sortedUnique(c.groups) != groups) {
      error = t + "supplementary groups differ from the ones of user " + to.user;
      return false;
    }
    auto extra = [&](const char* set, CapabilityMask have) {
      error = t + set + " holds " + describeCapabilities(have & ~keep) + " beyond " +
              describeCapabilities(keep);
      return false;
    };
    if (c.effective & ~keep) return extra("effective set", c.effective);
    if (c.permitted & ~keep) return extra("permitted set", c.permitted);
    if (c.bounding & ~keep) return extra("bounding set", c.bounding);
    if (c.inheritable || c.ambient) {
      error = t + "inheritable/ambient sets hold " +
              describeCapabilities(c.inheritable | c.ambient) + ", expected none";
      return false;
    }
    if (c.noNewPrivs != 1) {
      error = t + "no_new_privs is not set";
      return false;
    }
    if (main && (c.effective != keep || c.permitted != keep)) {
      error = t + "effective set is " + describeCapabilities(c.effective) + ", expected " +
              describeCapabilities(keep);
      return false;
    }
  }
  // This thread only (a raw syscall, not glibc's process-wide broadcast): if either works,
  // the drop did not happen, and the caller exits.
  if (::syscall(SYS_setresuid, 0, 0, 0) == 0) {
    error = "setresuid(0) still succeeds";
    return false;
  }
  if (to.gid != 0 && ::syscall(SYS_setresgid, 0, 0, 0) == 0) {
    error = "setresgid(0) still succeeds";
    return false;
  }
  return true;
}

namespace {

bool handOverOne(const std::string& path, const DropTarget& to, std::string& error) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return true;
    error = errnoText("cannot stat " + path);
    return false;
  }
  if (st.st_uid != 0 || S_ISLNK(st.st_mode)) return true;  // not root's, or a link: leave it
  if (::lchown(path.c_str(), to.uid, static_cast<gid_t>(-1)) != 0) {
    error = errnoText("cannot give " + path + " to user " + to.user);
    return false;
  }
  return true;
}

}  // namespace

bool handOverToUser(const std::string& path, const DropTarget& to, bool recursive,
                    std::string& error) {
  if (!handOverOne(path, to, error)) return false;
  if (!recursive) return true;
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return true;
  std::filesystem::recursive_directory_iterator it(path, ec), end;
  for (; !ec && it != end; it.increment(ec))
    if (!handOverOne(it->path().string(), to, error)) return false;
  if (ec) {
    error = "cannot list " + path + ": " + ec.message();
    return false;
  }
  return true;
}

std::string directoryNotWritable(const std::string& dir) {
  const std::string d = dir.empty() ? "." : dir;
  if (::access(d.c_str(), W_OK | X_OK) == 0) return "";
  return d + ": " + std::strerror(errno);
}

}  // namespace isogate::mgmt
