"""A minimal tunecore plugin: the ``local_search`` oracle.

Nothing here is imported when tunecore discovers plugins except :mod:`.plugin`;
the oracle's module is imported the first time the name is used.
"""
