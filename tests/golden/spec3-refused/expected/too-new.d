build/too-new.ign out/too-new.iso: configs/too-new.yaml overlays/all.yaml
overlays/all.yaml:
