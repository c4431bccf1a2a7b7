build/networkd-file.ign out/networkd-file.iso: configs/networkd-file.yaml overlays/all.yaml
overlays/all.yaml:
