# fleet-facts: e0499918f1bf2d9f7bb48543b20d635a
build/c2.ign out/c2.iso: configs/c2.yaml overlays/all.yaml overlays/etcd.yaml configs/c1.yaml configs/c3.yaml
overlays/all.yaml:
overlays/etcd.yaml:
configs/c1.yaml:
configs/c3.yaml:
