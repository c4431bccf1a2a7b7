# fleet-facts: 0493f32b9ab0d9aa8b08c2c1596fdd61
build/w2.ign out/w2.iso: configs/w2.yaml overlays/all.yaml overlays/worker.yaml configs/c1.yaml configs/c3.yaml configs/c2.yaml
overlays/all.yaml:
overlays/worker.yaml:
configs/c1.yaml:
configs/c3.yaml:
configs/c2.yaml:
