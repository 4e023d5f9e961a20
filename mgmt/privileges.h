#pragma once
// Least privilege for the daemons (isogate-gw, isogate-mgmtd started as root): after they
// have opened what needs root, switch to an unprivileged user keeping exactly a given set of
// capabilities, then verify the result from /proc. Linux only; raw capset/prctl, no libcap.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace isogate::mgmt {

// Bit N = capability N (linux/capability.h numbering), as in /proc/PID/status.
using CapabilityMask = uint64_t;

constexpr CapabilityMask capabilityBit(int cap) { return CapabilityMask{1} << cap; }

// "CAP_NET_ADMIN,CAP_NET_RAW" (names for the ones isogate uses, "cap N" for others); "none".
std::string describeCapabilities(CapabilityMask caps);

// The identity to switch to: the user, its primary group and its supplementary groups (the
// groups of /etc/group that list it, plus the primary one).
struct DropTarget {
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// Looks NAME up in the user database. Errors: "unknown user 'NAME'", a uid 0 target
// ("user 'NAME' is uid 0: that drops nothing"), a failed group lookup.
bool resolveDropTarget(const std::string& name, DropTarget& out, std::string& error);

// Phase one, for daemons that start threads before they can drop (sensors, syslog senders,
// DPDK lcores): clears every capability outside `keep` from the bounding set and sets
// no_new_privs. Both are per thread and inherited only by threads created afterwards, so
// call it while the process is still single-threaded. The capabilities in use (permitted,
// effective) are untouched. Idempotent.
bool limitCapabilityBound(CapabilityMask keep, std::string& error);

// Phase two: supplementary groups, gid, uid (all threads: glibc applies them process-wide),
// then this thread's permitted and effective sets become exactly `keep` (inheritable and
// ambient empty, bounding set = keep). Other threads lose every capability with the uid
// change. Then verifies (verifyDropped). Needs euid 0. On failure the caller must exit: the
// process may be half-way.
bool dropPrivileges(const DropTarget& to, CapabilityMask keep, std::string& error);

// Checks every thread of this process in /proc/self/task: real/effective/saved/fs uid and
// gid are the target's, no capability outside `keep` anywhere, this thread's effective and
// permitted sets exactly `keep`, no ambient or inheritable capability, no_new_privs set,
// and setresuid(0) and setresgid(0) fail on this thread.
bool verifyDropped(const DropTarget& to, CapabilityMask keep, std::string& error);

// Before dropping: gives PATH (and, with `recursive`, every entry below it) that is owned by
// root to the target user, keeping group and mode, so the daemon can still reopen or rewrite
// what it created as root (audit trail, JSON log, policy history). Entries owned by anyone
// else are left alone; a missing PATH is fine (created later by the user itself).
bool handOverToUser(const std::string& path, const DropTarget& to, bool recursive,
                    std::string& error);

// After dropping: "" when this process may create and rename entries in DIR, else why not.
std::string directoryNotWritable(const std::string& dir);

}  // namespace isogate::mgmt
