"""Report services, one module per entity: `runs` (request a run, produce its files in the
background, purge old files) and `downloads` (signed links, journaled downloads)."""
