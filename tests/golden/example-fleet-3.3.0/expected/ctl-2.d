# fleet-facts: 34981c1c12ecfe5f550423545e1b4875
build/ctl-2.ign out/ctl-2.iso: configs/ctl-2.yaml overlays/all.yaml overlays/controller.yaml configs/ctl-1.yaml configs/ctl-3.yaml
overlays/all.yaml:
overlays/controller.yaml:
configs/ctl-1.yaml:
configs/ctl-3.yaml:
