"""`make bench` and `make bench-scale`: run with `python -m scripts.bench` (see __main__.py)."""
