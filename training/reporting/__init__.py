"""Text tables of a run's reports (the metrics and PNG plots are TF-free: tofhil.metrics, tofhil.plots)."""
