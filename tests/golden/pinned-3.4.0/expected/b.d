build/b.ign out/b.iso: configs/b.yaml overlays/all.yaml
overlays/all.yaml:
