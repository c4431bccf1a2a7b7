# fleet-facts: 8fcd8355aecdef3b7dab44cd7a19cf55
build/w1.ign out/w1.iso: configs/w1.yaml overlays/all.yaml secrets/core.password secrets/fleet.key secrets/ops.password configs/e1.yaml configs/e2.yaml configs/e3.yaml files/motd.j2 files/report.sh
overlays/all.yaml:
secrets/core.password:
secrets/fleet.key:
secrets/ops.password:
configs/e1.yaml:
configs/e2.yaml:
configs/e3.yaml:
files/motd.j2:
files/report.sh:
