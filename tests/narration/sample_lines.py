"""Lines as a page prints them, every one different, as in a real book."""

import random

WORDS = (
    "river village morning market lantern harvest monsoon teacher letter garden window "
    "mountain journey silence festival courtyard evening bridge orchard promise"
).split()


def full_line(seed: int) -> str:
    """About 70 characters running from margin to margin, with no sentence ending."""
    rng = random.Random(seed)
    words: list[str] = []
    while len(" ".join(words)) < 66:
        words.append(rng.choice(WORDS))
    return " ".join(words)
