build/mount-create.ign out/mount-create.iso: configs/mount-create.yaml overlays/all.yaml
overlays/all.yaml:
