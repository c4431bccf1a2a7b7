build/user-create.ign out/user-create.iso: configs/user-create.yaml overlays/all.yaml
overlays/all.yaml:
