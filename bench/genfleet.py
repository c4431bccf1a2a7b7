"""Write a realistic N-host fleet: ``python bench/genfleet.py N DIR``.

Shaped like the example fleet in configs/ and overlays/: 3 controllers (5
from 100 hosts on) that run etcd, the rest workers; ``overlays/all.yaml``
with the login user, the static network settings and a unit;
``overlays/controller.yaml`` and ``overlays/worker.yaml``; every host has
static addresses in 10.20.0.0/16 and a couple of files of its own.
"""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path

NETWORK = ipaddress.ip_network("10.20.0.0/16")
GATEWAY = NETWORK[1]
FIRST_HOST = 11  # .1 gateway, .2/.3 DNS

SSH_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBJv5RvDoHOF7k93AMhnKTiy7cVnTf59Ljd4YO3Fy0rR "
    "operator@example"
)
PASSWORD_HASH = (
    "$6$hostisoexample01$NRlJEWqY2AcgL6m9K2SPZZbo0a8N/fRdJIsTPMVQgWffBYtvXLYlO2g9grT6gQs"
    "HdqTe8LTpQvs5tLqw76XWP."
)

ALL = f"""\
# Applied to every host first.
passwd:
  users:
    - name: core
      password_hash: "{PASSWORD_HASH}"
      ssh_authorized_keys:
        - {SSH_KEY}
network:
  interface: eth0
  gateway: {GATEWAY}
  dns: [{NETWORK[2]}, {NETWORK[3]}]
  routes:
    - destination: 10.45.0.0/16
      gateway: {NETWORK[124]}
systemd:
  units:
    - name: systemd-timesyncd.service
      enabled: true
"""

CONTROLLER = """\
# Controllers: the etcd members.
etcd:
  initial_cluster_token: bench-fleet-etcd
storage:
  directories:
    - path: /var/lib/etcd-backup
      mode: 0700
"""

WORKER = """\
# Workers: run containers, no etcd.
storage:
  files:
    - path: /etc/sysctl.d/10-worker.conf
      mode: 0644
      contents:
        inline: |
          fs.inotify.max_user_watches=1048576
"""

HOST = """\
groups: [{group}]
network:
  addresses: [{address}/{prefix}]
storage:
  files:
    - path: /etc/motd
      contents:
        inline: |
          {name}: {group} in rack {rack:02d}
    - path: /etc/node-labels.conf
      mode: 0600
      contents:
        inline: |
          rack={rack:02d}
          role={group}
"""


def controllers(hosts: int) -> int:
    return 3 if hosts < 100 else 5


def host_names(hosts: int) -> list[tuple[str, str]]:
    """(stem, group) for every host, controllers first."""
    count = min(controllers(hosts), hosts)
    names = [(f"ctl-{i + 1}", "controller") for i in range(count)]
    names += [(f"worker-{i + 1:04d}", "worker") for i in range(hosts - count)]
    return names


def host_text(index: int, stem: str, group: str) -> str:
    address = NETWORK[FIRST_HOST + index]
    return HOST.format(
        group=group, address=address, prefix=NETWORK.prefixlen, name=stem, rack=index // 40
    )


def write(hosts: int, root: Path) -> list[str]:
    """Write the fleet under ``root``; return the host stems."""
    if not 1 <= hosts < NETWORK.num_addresses - FIRST_HOST:
        raise ValueError(f"between 1 and {NETWORK.num_addresses - FIRST_HOST - 1} hosts")
    (root / "configs").mkdir(parents=True, exist_ok=True)
    (root / "overlays").mkdir(parents=True, exist_ok=True)
    for name, text in (("all", ALL), ("controller", CONTROLLER), ("worker", WORKER)):
        (root / "overlays" / f"{name}.yaml").write_text(text)
    names = host_names(hosts)
    for index, (stem, group) in enumerate(names):
        (root / "configs" / f"{stem}.yaml").write_text(host_text(index, stem, group))
    return [stem for stem, _ in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hosts", type=int, metavar="N")
    parser.add_argument("dir", type=Path, metavar="DIR")
    args = parser.parse_args()
    stems = write(args.hosts, args.dir)
    print(f"wrote {len(stems)} hosts to {args.dir}")


if __name__ == "__main__":
    main()
