build/mounted-path.ign out/mounted-path.iso: configs/mounted-path.yaml overlays/all.yaml
overlays/all.yaml:
