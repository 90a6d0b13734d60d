"""Fitting, evaluating and the ``hotline`` command line."""
