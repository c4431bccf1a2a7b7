"""Export: the fleet as other tools read it.

``model`` builds the Ansible inventory (hosts without errors, their groups
and variables) from a checked fleet; ``formats`` writes it as an inventory
script's JSON, or as a static YAML or INI inventory.
"""
