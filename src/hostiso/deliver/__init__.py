"""Delivering the ISOs: ``hostiso serve`` (HTTP for BMCs) and ``hostiso attach``.

* :mod:`~hostiso.deliver.serve` and :mod:`~hostiso.deliver.ranges`: the HTTP
  server for ``out/*.iso`` and the installer ISO, with Range requests;
* :mod:`~hostiso.deliver.targets`: a host's ``bmc:`` or ``libvirt:`` as a
  target, and the job (media URL or path) for it;
* :mod:`~hostiso.deliver.redfish` and :mod:`~hostiso.deliver.vmedia`: a BMC
  through sushy; :mod:`~hostiso.deliver.libvirt` and
  :mod:`~hostiso.deliver.bootorder`: a domain through virsh;
* :mod:`~hostiso.deliver.runner`, :mod:`~hostiso.deliver.policy`,
  :mod:`~hostiso.deliver.errors`: many hosts at once, retries, messages.

Nothing here reads YAML: the targets come from hosts the pipeline checked.
"""
