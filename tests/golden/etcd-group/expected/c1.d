# fleet-facts: e0499918f1bf2d9f7bb48543b20d635a
build/c1.ign out/c1.iso: configs/c1.yaml overlays/all.yaml overlays/etcd.yaml configs/c3.yaml configs/c2.yaml
overlays/all.yaml:
overlays/etcd.yaml:
configs/c3.yaml:
configs/c2.yaml:
