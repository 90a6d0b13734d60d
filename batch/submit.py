"""The ``hotline`` command as a file for ``spark-submit``, which runs Python applications given as files.

    spark-submit --master yarn ... "$(python -c 'import batch.submit as s; print(s.__file__)')" predict --engine spark ...

The session then comes from ``spark-submit`` (master, executors, memory), and the command runs as
``hotline`` does.
"""

from __future__ import annotations

import os
import sys

# Run as a file, this folder comes first on sys.path: drop it, so that its modules never shadow others.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

from cli.main import main

if __name__ == "__main__":
    sys.exit(main())
