"""Operating the pipeline from a terminal: one-line errors, reachability checks, topic/lag listings, a live status
view and progress bars.  Nothing here is on the data path."""
