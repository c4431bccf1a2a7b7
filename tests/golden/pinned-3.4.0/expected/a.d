build/a.ign out/a.iso: configs/a.yaml overlays/all.yaml
overlays/all.yaml:
