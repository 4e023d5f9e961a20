"""The end-to-end scenario table, written once for every backend.

Each scenario is one probe from a host of one zone to a host of another, in one address
family, with the outcome the test policy (fixtures/policy.yaml) demands and the violation
event the gateway must report for a blocked probe. A topology driver (namespaces + nftables
here, DPDK ports later) only has to run the probes and compare. `python3 scenarios.py`
prints the table as JSON for drivers in other languages.
"""

import json
import sys
from dataclasses import asdict, dataclass
from typing import Optional

# One host per zone; addresses lie inside the zones' networks (and inside the networks of
# the `publish-content` rule for the extranet and portal hosts).
HOSTS = {
    "extranet": {"v4": "10.20.5.10", "v6": "fd20:0:0:5::10"},
    "portal": {"v4": "172.16.30.10", "v6": "fd30::10"},
    "internet": {"v4": "203.0.113.10", "v6": "2001:db8::10"},
    # Attached only through the gateway's monitor port: never forwarded, never answered.
    "intranet": {"v4": "10.10.1.5", "v6": "fd10::5"},
}

ZONES = ["extranet", "portal", "internet", "intranet"]

# What every ordered pair is tried with: TCP connects, UDP datagrams, ICMP(v6) echoes.
PROBES = {
    "tcp-22": {"proto": "tcp", "port": 22},
    "tcp-443": {"proto": "tcp", "port": 443},
    "tcp-53": {"proto": "tcp", "port": 53},
    "udp-53": {"proto": "udp", "port": 53},
    "echo": {"proto": "icmp", "port": None},
}

PHYSICAL = "physical"
LOGICAL = "logical"


def isolation(a, b):
    """The isolation of an unordered zone pair in the test policy."""
    logical = [{"extranet", "portal"}, {"extranet", "internet"}, {"portal", "internet"}]
    return LOGICAL if {a, b} in logical else PHYSICAL


# Logical pairs: the probes a rule allows (passing, with replies), and the probes an explicit
# `deny` rule blocks (reported with that rule's name). Everything else is the default deny.
ALLOWED = {
    ("internet", "portal"): {"tcp-443": "citizens-browse-portal"},
    ("extranet", "portal"): {"tcp-22": "publish-content", "echo": "extranet-ping-portal"},
    ("extranet", "internet"): {"tcp-53": "extranet-dns", "udp-53": "extranet-dns"},
    ("portal", "internet"): {"echo": "portal-ping-internet"},
}
DENIED_BY_RULE = {
    ("portal", "extranet"): {"tcp-22": "no-ssh-from-portal"},
}


@dataclass(frozen=True)
class Scenario:
    src_zone: str
    dst_zone: str
    family: str  # "v4" | "v6"
    probe: str  # key of PROBES
    proto: str  # "tcp" | "udp" | "icmp" (icmpv6 in v6)
    port: Optional[int]
    src: str
    dst: str
    expect_pass: bool
    rule: str  # deciding rule, "" when none decided
    # Violation event the gateway reports for a blocked probe; None when the gateway is not
    # the one to report it (traffic seen on a monitor port is the sensor's, SPEC §2).
    event_type: Optional[str]

    @property
    def name(self):
        return f"{self.src_zone}->{self.dst_zone}/{self.family}/{self.probe}"

    @property
    def wire_proto(self):
        if self.proto == "icmp" and self.family == "v6":
            return "icmpv6"
        return self.proto


def _expect(src_zone, dst_zone, probe):
    """(pass, rule, event_type) for one probe between two distinct zones."""
    if isolation(src_zone, dst_zone) == PHYSICAL:
        # Intranet traffic only ever appears on the monitor port: the sensor reports it.
        event = None if src_zone == "intranet" else "physical-isolation"
        return False, "", event
    allowed = ALLOWED.get((src_zone, dst_zone), {})
    if probe in allowed:
        return True, allowed[probe], None
    denied = DENIED_BY_RULE.get((src_zone, dst_zone), {})
    return False, denied.get(probe, ""), "logical-isolation"


def all_scenarios():
    out = []
    for src_zone in ZONES:
        for dst_zone in ZONES:
            if src_zone == dst_zone:
                continue
            for family in ("v4", "v6"):
                for probe, spec in PROBES.items():
                    ok, rule, event = _expect(src_zone, dst_zone, probe)
                    out.append(Scenario(src_zone, dst_zone, family, probe, spec["proto"], spec["port"],
                                        HOSTS[src_zone][family], HOSTS[dst_zone][family], ok, rule, event))
    return out


@dataclass(frozen=True)
class SpoofScenario:
    """An extranet host sending with a source address that is not the extranet's."""
    name: str
    family: str
    src: str  # the forged source
    dst: str
    dst_zone: str
    claimed_zone: str
    event_type: str
    probe: str  # key of PROBES: something the forged source's own zone may send there


# A forged intranet source towards the portal must be an `isolation-breach` (not merely the
# physical-isolation that intranet -> portal would be); a forged portal source sends a ping
# that portal -> internet allows, so only the source check can stop it.
SPOOFS = [
    SpoofScenario("intranet-source-v4", "v4", HOSTS["intranet"]["v4"], HOSTS["portal"]["v4"], "portal",
                  "intranet", "isolation-breach", "tcp-22"),
    SpoofScenario("intranet-source-v6", "v6", HOSTS["intranet"]["v6"], HOSTS["portal"]["v6"], "portal",
                  "intranet", "isolation-breach", "tcp-22"),
    SpoofScenario("portal-source-v4", "v4", "172.16.30.99", HOSTS["internet"]["v4"], "internet", "portal",
                  "spoofed-source", "echo"),
    SpoofScenario("portal-source-v6", "v6", "fd30::99", HOSTS["internet"]["v6"], "internet", "portal",
                  "spoofed-source", "echo"),
]


if __name__ == "__main__":
    json.dump({"hosts": HOSTS, "probes": PROBES, "scenarios": [asdict(s) | {"name": s.name} for s in all_scenarios()],
               "spoofs": [asdict(s) for s in SPOOFS]}, sys.stdout, indent=1)
    print()
