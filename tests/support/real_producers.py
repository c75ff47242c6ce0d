"""PDFs printed by the programs people make them with: Debian's Chromium (`--print-to-pdf`,
Skia: a glyph per text object, clusters mapped whole) and LibreOffice Writer (`soffice
--convert-to pdf`: runs of glyphs, clusters in ActualText spans). `make test` installs both."""

import html
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

CHROMIUM = "/usr/bin/chromium"
SOFFICE = "/usr/bin/soffice"
# As the browser tests start it: no sandbox as root, and no calls out of this machine.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
)
PRODUCER_TIMEOUT = 120  # seconds; a cold LibreOffice on a busy machine takes a few


def run_producer(command: list[str], *, env: dict[str, str] | None = None) -> None:
    """Run a producer in a session of its own, whose every process is stopped whatever
    happens (soffice and chromium start helpers that outlive a killed parent)."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    try:
        output, _ = process.communicate(timeout=PRODUCER_TIMEOUT)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
    if process.returncode:
        raise RuntimeError(
            f"{command[0]} failed ({process.returncode}): {output.decode(errors='replace')[-2000:]}"
        )


@dataclass(frozen=True)
class Layout:
    """How a book is set: A5, its body in `font`, under a heading in `heading_font`, its
    quotations in `quotation_font`."""

    font: str = "Noto Sans Devanagari"
    heading_font: str = "Noto Serif Devanagari"
    justified: bool = True
    size_pt: int = 14
    font_file: Path | None = None  # `font`'s file, when it is not installed
    quotation_font: str = "Noto Serif Devanagari"
    quotation_font_file: Path | None = None


@dataclass(frozen=True)
class Quotation:
    """A paragraph set apart, in the layout's quotation font (Chromium's books only)."""

    text: str


def font_faces(layout: Layout) -> str:
    """CSS naming the layout's fonts that are not installed by their files."""
    faces = ((layout.font, layout.font_file), (layout.quotation_font, layout.quotation_font_file))
    return "".join(
        f"@font-face {{ font-family: '{family}'; src: url('{file.as_uri()}'); }} "
        for family, file in faces
        if file
    )


WRITER_LAYOUT = Layout(font="Noto Serif Devanagari", heading_font="Noto Sans Devanagari", size_pt=13)


def chromium_pdf(
    path: Path, paragraphs: tuple[str | Quotation, ...], *, heading: str = "", layout: Layout = Layout()
) -> Path:
    """`paragraphs` printed by Chromium under `heading`."""
    style = font_faces(layout) + (
        f"@page {{ size: A5; margin: 18mm; }} body {{ font-family: '{layout.font}'; "
        f"font-size: {layout.size_pt}pt; text-align: {'justify' if layout.justified else 'left'}; }} "
        f"h1 {{ font-family: '{layout.heading_font}'; }} "
        f"blockquote {{ font-family: '{layout.quotation_font}'; }}"
    )
    body = (f"<h1>{html.escape(heading)}</h1>" if heading else "") + "".join(
        f"<blockquote>{html.escape(paragraph.text)}</blockquote>"
        if isinstance(paragraph, Quotation)
        else f"<p>{html.escape(paragraph)}</p>"
        for paragraph in paragraphs
    )
    with tempfile.TemporaryDirectory(prefix="chromium-") as work:
        page = Path(work) / "book.html"
        page.write_text(
            f'<!doctype html><html lang="hi"><meta charset="utf-8"><style>{style}</style>{body}</html>'
        )
        run_producer(
            [
                CHROMIUM,
                *CHROMIUM_ARGS,
                f"--user-data-dir={work}/profile",
                f"--print-to-pdf={path}",
                page.as_uri(),
            ]
        )
    return path


def libreoffice_pdf(
    path: Path, paragraphs: tuple[str, ...], *, heading: str = "", layout: Layout = WRITER_LAYOUT
) -> Path:
    """`paragraphs` set by LibreOffice Writer (a flat ODT converted to PDF) under a bold `heading`."""
    with tempfile.TemporaryDirectory(prefix="libreoffice-") as work:
        source = Path(work) / f"{path.stem}.fodt"
        source.write_text(writer_document(paragraphs, heading, layout))
        if layout.font_file:  # fontconfig finds fonts in $XDG_DATA_HOME/fonts
            Path(work, "fonts").mkdir()
            shutil.copy(layout.font_file, Path(work, "fonts"))
        run_producer(
            [
                SOFFICE,
                f"-env:UserInstallation={Path(work, 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                work,
                str(source),
            ],
            env={"XDG_DATA_HOME": work},
        )
        Path(work, f"{path.stem}.pdf").replace(path)
    return path


def writer_document(paragraphs: tuple[str, ...], heading: str, layout: Layout) -> str:
    def text_style(name: str, family: str, size: int, bold: bool) -> str:
        weight = ' fo:font-weight="bold" style:font-weight-complex="bold"' if bold else ""
        align = "justify" if layout.justified and not bold else "start"
        return (
            f'<style:style style:name="{name}" style:family="paragraph">'
            f'<style:paragraph-properties fo:text-align="{align}" fo:margin-bottom="0.2cm"/>'
            f'<style:text-properties style:font-name="{family}" style:font-name-complex="{family}" '
            f'fo:font-size="{size}pt" style:font-size-complex="{size}pt" style:language-complex="hi" '
            f'style:country-complex="IN"{weight}/></style:style>'
        )

    body = (f'<text:p text:style-name="Heading">{escape(heading)}</text:p>' if heading else "") + "".join(
        f'<text:p text:style-name="Body">{escape(paragraph)}</text:p>' for paragraph in paragraphs
    )
    faces = "".join(
        f'<style:font-face style:name="{family}" svg:font-family="&apos;{family}&apos;"/>'
        for family in {layout.font, layout.heading_font}
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
        'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
        'office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">'
        f"<office:font-face-decls>{faces}</office:font-face-decls>"
        '<office:automatic-styles><style:page-layout style:name="A5">'
        '<style:page-layout-properties fo:page-width="14.8cm" fo:page-height="21cm" fo:margin-top="1.8cm" '
        'fo:margin-bottom="1.8cm" fo:margin-left="1.8cm" fo:margin-right="1.8cm"/></style:page-layout>'
        "</office:automatic-styles>"
        f"<office:styles>{text_style('Body', layout.font, layout.size_pt, False)}"
        f"{text_style('Heading', layout.heading_font, layout.size_pt + 6, True)}</office:styles>"
        '<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="A5"/>'
        "</office:master-styles>"
        f"<office:body><office:text>{body}</office:text></office:body></office:document>"
    )
