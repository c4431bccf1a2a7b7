# fleet-facts: 330f1ac4d7d61aec2eb06303ba5986dd
build/c3.ign out/c3.iso: configs/c3.yaml overlays/all.yaml configs/c1.yaml configs/c2.yaml
overlays/all.yaml:
configs/c1.yaml:
configs/c2.yaml:
