build/ok.ign out/ok.iso: configs/ok.yaml overlays/all.yaml
overlays/all.yaml:
