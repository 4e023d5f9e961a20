// Who is calling on the control socket and what they may do (REGULATION art. 16
// "tiered access"): the peer's uid/gid from SO_PEERCRED, its user name and
// groups from NSS, mapped by `control.roles` (user or group names) to a role.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace isogate::mgmt {

enum class Role : uint8_t { None, Auditor, Officer, Admin };
const char* roleName(Role r);  // "none", "auditor", "officer", "admin"

struct PeerIdentity {
  int64_t uid = -1, gid = -1, pid = -1;
  std::string user;                 // "uid:1234" when the uid has no passwd entry
  std::vector<std::string> groups;  // primary and supplementary group names
};

// Names from the config; a name matches a user of that name or a group of that name.
struct RoleMap {
  std::vector<std::string> admin{"root"}, officer, auditor;
  // The highest role any of the caller's names holds.
  Role resolve(const PeerIdentity& who) const;
};

// SO_PEERCRED plus getpwuid_r / getgrouplist / getgrgid_r.
bool identifyPeer(int fd, PeerIdentity& who, std::string& error);
// The same for a uid/gid (tests, and the daemon's own identity).
PeerIdentity identityOf(int64_t uid, int64_t gid);

}  // namespace isogate::mgmt
