"""Model definitions: ST's CNN2D_ST_HandPosture, the custom-model hook, loading from a file."""
