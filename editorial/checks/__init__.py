"""Five-gate content checks (五关): the matching engine and lexicon importers. See `engine`."""
