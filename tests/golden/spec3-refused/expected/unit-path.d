build/unit-path.ign out/unit-path.iso: configs/unit-path.yaml overlays/all.yaml
overlays/all.yaml:
