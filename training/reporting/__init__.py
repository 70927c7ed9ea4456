"""Reports of a run: classification metrics, plots (PNG) and text tables."""
