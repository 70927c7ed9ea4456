"""What a HIL validation streams and compares against, made on the training side (config, dataset, TensorFlow):
the test frames and the host references. ``python -m training hil-inputs`` writes them to a folder that
``hil`` reads without importing this package."""
