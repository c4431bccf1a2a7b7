build/c.ign out/c.iso: configs/c.yaml overlays/all.yaml
overlays/all.yaml:
