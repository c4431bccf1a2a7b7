# fleet-facts: 597545c3fbd785a48e172e014674d8f8
build/e2.ign out/e2.iso: configs/e2.yaml overlays/all.yaml overlays/etcd.yaml secrets/core.password secrets/fleet.key secrets/ops.password configs/e1.yaml configs/e3.yaml files/motd.j2 files/report.sh
overlays/all.yaml:
overlays/etcd.yaml:
secrets/core.password:
secrets/fleet.key:
secrets/ops.password:
configs/e1.yaml:
configs/e3.yaml:
files/motd.j2:
files/report.sh:
