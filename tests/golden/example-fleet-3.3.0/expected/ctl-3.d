# fleet-facts: 34981c1c12ecfe5f550423545e1b4875
build/ctl-3.ign out/ctl-3.iso: configs/ctl-3.yaml overlays/all.yaml overlays/controller.yaml configs/ctl-1.yaml configs/ctl-2.yaml
overlays/all.yaml:
overlays/controller.yaml:
configs/ctl-1.yaml:
configs/ctl-2.yaml:
