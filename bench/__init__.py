"""Performance ratios quoted in the README's Performance section (`make bench`; never run by the suite)."""
