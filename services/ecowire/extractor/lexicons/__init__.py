"""Domain lexicons: general vocabulary (title words, organisation suffixes, countries, ...).

These are lists of *kinds* of words, never the names of one article: a rule built on them must
work on articles nobody has seen.
"""


def words(block: str) -> list[str]:
    """The whitespace-separated words of a block (word lists are kept as wrapped text)."""
    return block.split()
