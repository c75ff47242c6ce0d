"""A book's narration: its pages' text in, chapters of paragraphs of sentences out, as the
JSON the API serves and as plain text."""

from __future__ import annotations

from audiobooks.narration.chapters import chapter_marks, find_chapters, same_title
from audiobooks.narration.page_furniture import furniture_lines
from audiobooks.narration.paragraphs import reflow
from audiobooks.narration.sentences import split_sentences

# Where a chapter's first page prints its title, after any header left.
TITLE_LINES = 3


def body_lines(pages: list[tuple[int, str]]) -> list[tuple[int, list[str]]]:
    """Each page's lines with its running headers, footers and page numbers taken out."""
    lines = [[line.strip() for line in text.splitlines()] for _, text in pages]
    furniture = furniture_lines(lines)
    return [
        (number, [line for index, line in enumerate(page) if index not in dropped])
        for (number, _), page, dropped in zip(pages, lines, furniture, strict=True)
    ]


def without_printed_titles(
    pages: list[tuple[int, list[str]]], marks: list[tuple[str, int]]
) -> list[tuple[int, list[str]]]:
    """The outline names each chapter: its heading printed on the chapter's first page (among
    the first TITLE_LINES lines, on one line or two) is left out, or it would be read twice."""
    titles = {page: title for title, page in marks}
    trimmed = []
    for number, lines in pages:
        if number in titles:
            lines = without_title(lines, titles[number])
        trimmed.append((number, lines))
    return trimmed


def without_title(lines: list[str], title: str) -> list[str]:
    for index in range(min(TITLE_LINES, len(lines))):
        for span in (1, 2):
            if index + span <= len(lines) and same_title(" ".join(lines[index : index + span]), title):
                return lines[:index] + lines[index + span :]
    return lines


def narrate(pages: list[tuple[int, str]], *, outline: list[dict]) -> dict:
    """{"chapters": [{"title", "start_page", "paragraphs": [{"text", "pages", "sentences"}]}]}
    from (page number, page text) in page order and the PDF's outline."""
    marks = chapter_marks(outline)
    body = without_printed_titles(body_lines(pages), marks)
    paragraphs = reflow(body, hard_breaks=frozenset(page for _, page in marks))
    return {
        "chapters": [
            {
                "title": chapter.title,
                "start_page": chapter.start_page,
                "paragraphs": [
                    {
                        "text": paragraph.text,
                        "pages": [paragraph.first_page, paragraph.last_page],
                        "sentences": split_sentences(paragraph.text),
                    }
                    for paragraph in chapter.paragraphs
                ],
            }
            for chapter in find_chapters(paragraphs, marks=marks)
        ]
    }


def plain_text(narration: dict) -> str:
    """Chapter titles and paragraphs in reading order, one blank line between each."""
    blocks = []
    for chapter in narration["chapters"]:
        if chapter["title"]:
            blocks.append(chapter["title"])
        blocks.extend(paragraph["text"] for paragraph in chapter["paragraphs"])
    return "\n\n".join(blocks) + "\n" if blocks else ""
