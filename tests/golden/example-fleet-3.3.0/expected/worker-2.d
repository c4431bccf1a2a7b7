# fleet-facts: 0810029056dd1261f7a5de9b73d1b695
build/worker-2.ign out/worker-2.iso: configs/worker-2.yaml overlays/all.yaml overlays/worker.yaml configs/ctl-1.yaml overlays/controller.yaml configs/ctl-2.yaml configs/ctl-3.yaml
overlays/all.yaml:
overlays/worker.yaml:
configs/ctl-1.yaml:
overlays/controller.yaml:
configs/ctl-2.yaml:
configs/ctl-3.yaml:
