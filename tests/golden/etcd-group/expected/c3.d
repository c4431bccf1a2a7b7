# fleet-facts: e0499918f1bf2d9f7bb48543b20d635a
build/c3.ign out/c3.iso: configs/c3.yaml overlays/all.yaml configs/c1.yaml configs/c2.yaml overlays/etcd.yaml
overlays/all.yaml:
configs/c1.yaml:
configs/c2.yaml:
overlays/etcd.yaml:
