"""Training the models Sift ships (scripts/train.py): task definitions, search, metrics."""
