#!/bin/sh
# The example fleet as an Ansible inventory script:
#   ansible-playbook -i ./inventory.sh site.yml
# Ansible runs it with --list; it runs `hostiso inventory` on this directory
# (make creates .venv).  See "From hostiso to Ansible" in README.md.
here=$(dirname "$0")
exec "$here/.venv/bin/hostiso" inventory --root "$here" "$@"
