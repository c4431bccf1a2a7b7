build/through-link.ign out/through-link.iso: configs/through-link.yaml overlays/all.yaml
overlays/all.yaml:
