# fleet-facts: 330f1ac4d7d61aec2eb06303ba5986dd
build/c2.ign out/c2.iso: configs/c2.yaml overlays/all.yaml configs/c1.yaml configs/c3.yaml
overlays/all.yaml:
configs/c1.yaml:
configs/c3.yaml:
