// Test helpers: run a command and capture its output, and a throwaway network
// namespace that is always deleted (RAII), for tests that load rulesets.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace isogate::testing {

struct CommandResult {
  int status = -1;  // exit code, -1 when it did not run or was killed
  std::string output;  // stdout and stderr
};

inline CommandResult runCommand(const std::string& command) {
  CommandResult r;
  FILE* f = popen((command + " 2>&1").c_str(), "r");
  if (!f) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
  const int st = pclose(f);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline bool writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline bool haveNetnsPrivileges() { return geteuid() == 0; }

// For tests that need root: run by hand as a user they skip; under tests/run_all.sh (root,
// which sets ISOGATE_REQUIRE_ROOT=1) not being root fails, so the suite can never pass by
// skipping them.
#define ISOGATE_SKIP_UNLESS_ROOT(why)                                               \
  do {                                                                             \
    if (!isogate::testing::haveNetnsPrivileges()) {                                \
      if (std::getenv("ISOGATE_REQUIRE_ROOT")) FAIL() << "not root, but " << why;  \
      GTEST_SKIP() << why;                                                         \
    }                                                                              \
  } while (0)

// `ip netns add isogate-<tag>-<pid>-<n>`; deleted in the destructor whatever
// the test did.
class ScopedNetns {
 public:
  explicit ScopedNetns(const std::string& tag) {
    static std::atomic<int> counter{0};
    name_ = "isogate-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    ok_ = runCommand("ip netns add " + name_).status == 0;
  }
  ~ScopedNetns() {
    if (ok_) runCommand("ip netns del " + name_);
  }
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  CommandResult exec(const std::string& command) const { return runCommand("ip netns exec " + name_ + " " + command); }

 private:
  std::string name_;
  bool ok_ = false;
};

}  // namespace isogate::testing
