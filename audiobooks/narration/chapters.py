"""Chapters: from the PDF's outline (bookmarks) when it has one, otherwise from the headings
found in the text, otherwise the whole book as one untitled chapter."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from audiobooks.narration.page_furniture import comparable
from audiobooks.narration.paragraphs import Paragraph

# An outline title and the heading printed under it are the same words, give or take OCR.
SAME_TITLE = 80


@dataclass
class Chapter:
    title: str
    start_page: int
    paragraphs: list[Paragraph] = field(default_factory=list)


def chapter_marks(outline: list[dict]) -> list[tuple[str, int]]:
    """(title, first page) of each chapter in an outline of {"title", "page", "level"}
    entries: its top level, or the level below when the top is a single entry (usually the
    book's own title) holding the rest."""
    levels = sorted({entry["level"] for entry in outline})
    if not levels:
        return []
    level = levels[0]
    if len([e for e in outline if e["level"] == level]) == 1 and len(levels) > 1:
        level = levels[1]
    marks: dict[int, str] = {}
    for entry in outline:
        if entry["level"] == level and entry.get("page") and entry["title"].strip():
            marks.setdefault(entry["page"], entry["title"].strip())
    return sorted(((title, page) for page, title in marks.items()), key=lambda mark: mark[1])


def same_title(heading: str, title: str) -> bool:
    return fuzz.ratio(comparable(heading), comparable(title)) >= SAME_TITLE


def chapters_from_outline(paragraphs: list[Paragraph], marks: list[tuple[str, int]]) -> list[Chapter]:
    chapters: list[Chapter] = []
    starts = iter(marks[1:] + [("", 10**9)])
    current = Chapter(title=marks[0][0], start_page=marks[0][1])
    upcoming = next(starts)
    front_matter = Chapter(title="", start_page=paragraphs[0].first_page if paragraphs else 1)
    for paragraph in paragraphs:
        while paragraph.first_page >= upcoming[1]:
            chapters.append(current)
            current, upcoming = Chapter(title=upcoming[0], start_page=upcoming[1]), next(starts)
        if paragraph.first_page < marks[0][1]:
            front_matter.paragraphs.append(paragraph)
        else:
            current.paragraphs.append(paragraph)
    chapters.append(current)
    return ([front_matter] if front_matter.paragraphs else []) + chapters


def chapters_from_headings(paragraphs: list[Paragraph]) -> list[Chapter]:
    chapters: list[Chapter] = []
    for paragraph in paragraphs:
        if paragraph.heading:
            chapters.append(Chapter(title=paragraph.text, start_page=paragraph.first_page))
        elif not chapters:
            chapters.append(Chapter(title="", start_page=paragraph.first_page, paragraphs=[paragraph]))
        else:
            chapters[-1].paragraphs.append(paragraph)
    return chapters or [Chapter(title="", start_page=1)]


def find_chapters(paragraphs: list[Paragraph], *, marks: list[tuple[str, int]]) -> list[Chapter]:
    """Chapters from the outline's `marks` (chapter_marks) when there are any."""
    return chapters_from_outline(paragraphs, marks) if marks else chapters_from_headings(paragraphs)
