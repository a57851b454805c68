"""Stock and equipment: the catalogue, balances per location, the movement ledger, parts on jobs,
reorder levels, the reorder report and its scheduled alert."""
