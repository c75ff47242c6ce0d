"""Sentences for a TTS engine: Hindi ends them with `।`, `॥`, `?` and `!`; English with `.`,
`?` and `!`, but not after an abbreviation or an initial, nor inside a number."""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs etc e.g i.e cf fig figs vol vols ch chap pp p ed eds"
    " inc ltd corp dept approx jan feb apr jun jul aug sep sept oct nov dec u.s a.m p.m"
    " डॉ प्रो सं पृ क्र".split()
)
# A mark that may end a sentence, closing quotes and brackets after it, then space. A verse
# ends `॥ १२ ॥`: the number belongs to the verse before.
SENTENCE_BREAK = re.compile(r"(?:॥\s*[0-9०-९]+\s*॥|[।॥?!]+|\.+)[\"'”’»)\]]*(?=\s+\S)")


NEXT_LETTER = re.compile(r"\s*(\S)")
WORD_REACH = 40


def ends_here(text: str, mark: re.Match) -> bool:
    """Does this mark end a sentence? A `.` does not after an abbreviation or an initial,
    nor before a lowercase word."""
    if not mark.group(0).startswith("."):
        return True
    following = NEXT_LETTER.match(text, mark.end())
    if following and following.group(1).islower():
        return False
    # The word before: a look back of WORD_REACH characters keeps this linear.
    words = text[max(0, mark.start() - WORD_REACH) : mark.start()].split()
    stem = words[-1].lstrip("\"'“‘(«[").lower() if words else ""
    return stem not in ABBREVIATIONS and not re.fullmatch(r"[a-z]", stem)


def split_sentences(text: str) -> list[str]:
    sentences, start = [], 0
    for mark in SENTENCE_BREAK.finditer(text):
        if ends_here(text, mark):
            sentences.append(text[start : mark.end()].strip())
            start = mark.end()
    rest = text[start:].strip()
    return [*sentences, rest] if rest else sentences
