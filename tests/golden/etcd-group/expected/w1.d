# fleet-facts: 0493f32b9ab0d9aa8b08c2c1596fdd61
build/w1.ign out/w1.iso: configs/w1.yaml overlays/all.yaml overlays/worker.yaml configs/c1.yaml configs/c3.yaml configs/c2.yaml
overlays/all.yaml:
overlays/worker.yaml:
configs/c1.yaml:
configs/c3.yaml:
configs/c2.yaml:
