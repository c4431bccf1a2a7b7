# fleet-facts: 330f1ac4d7d61aec2eb06303ba5986dd
build/c1.ign out/c1.iso: configs/c1.yaml overlays/all.yaml configs/c2.yaml configs/c3.yaml
overlays/all.yaml:
configs/c2.yaml:
configs/c3.yaml:
