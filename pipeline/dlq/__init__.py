"""Dead letters: read the one dead-letter topic (``Failure`` records), group them by reason, and replay them.

``read.py`` reads and groups, ``replay.py`` re-injects selected failures and records what it replayed, ``cli.py``
adds ``news-pipeline dlq list|replay``.
"""
