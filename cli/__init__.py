"""The ``hotline`` command line: one module per command group, assembled in :mod:`cli.main`."""
