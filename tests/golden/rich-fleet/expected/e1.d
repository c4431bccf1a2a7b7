# fleet-facts: 597545c3fbd785a48e172e014674d8f8
build/e1.ign out/e1.iso: configs/e1.yaml overlays/all.yaml overlays/etcd.yaml secrets/core.password secrets/fleet.key secrets/ops.password configs/e2.yaml configs/e3.yaml files/motd.j2 files/report.sh
overlays/all.yaml:
overlays/etcd.yaml:
secrets/core.password:
secrets/fleet.key:
secrets/ops.password:
configs/e2.yaml:
configs/e3.yaml:
files/motd.j2:
files/report.sh:
