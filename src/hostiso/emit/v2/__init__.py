"""Container Linux Config -> Ignition, one small converter per section."""
