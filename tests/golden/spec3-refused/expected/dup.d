build/dup.ign out/dup.iso: configs/dup.yaml overlays/all.yaml
overlays/all.yaml:
