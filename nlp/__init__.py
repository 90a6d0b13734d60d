"""hotline-nlp: the text and model library shared by training, serving and trend mining.

Nothing here reads files, the network or the environment at import time.
"""

__version__ = "0.1.0"
