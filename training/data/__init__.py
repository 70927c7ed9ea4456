"""Dataset access: ST's session layout, preprocessing, splits and augmentation."""
