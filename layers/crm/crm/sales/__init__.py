"""Sales: the set-up, opportunities, their notes, the pipeline, exports and the summaries reports read."""
