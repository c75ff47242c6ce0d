"""`make bench BOOKS=scans`: real printed pages scanned askew, read by the engine and by plain
tesseract in the same run.

Each real page of tests/data/realworld is read as scanned and turned by a few degrees (as
a scanner or a phone turns it, the corners white, or black as under an open lid), each
wrapped in a one-page PDF at its own resolution. For each: the engine's character error
rate and seconds (one tesseract thread, as the app runs it) and plain `tesseract -l
Devanagari --psm 3` on the same image. OCRmyPDF (`--deskew --clean`, issue 31's
baseline) is not in this table yet.
"""

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from PIL import Image

from audiobooks.extraction.page_extraction import extract_page, options_for_book
from tests.support.character_error import character_error_rate
from tests.support.pdf_factory import image_pdf

ROOT = Path(__file__).resolve().parent.parent
REALWORLD = ROOT / "tests" / "data" / "realworld" / "devanagari"
# (degrees turned, grey level of the corners it brings in: white paper, or a black lid)
DEGRADATIONS = ((0.0, 255), (1.0, 255), (2.5, 255), (2.5, 0), (-4.0, 255))
ONE_THREAD = {**os.environ, "OMP_THREAD_LIMIT": "1"}


def askew(image: Path, degrees: float, corners: int, folder: Path) -> Path:
    """The page as scanned turned by `degrees`, the corners `corners` grey, at its own resolution."""
    destination = folder / f"{image.stem}.{degrees:+.1f}.{corners}.png"
    with Image.open(image) as scan:
        grey = scan.convert("L")
        turned = grey.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=corners)
        turned.save(destination, **({"dpi": scan.info["dpi"]} if "dpi" in scan.info else {}))
    return destination


def engine_reading(image: Path, truth: str) -> tuple[float, float, str]:
    pdf = image_pdf(image, image.with_suffix(".pdf"))
    started = time.monotonic()
    result = extract_page(pdf, 1, options_for_book("hindi"))
    return character_error_rate(result.text, truth), time.monotonic() - started, result.reason


def plain_reading(image: Path, truth: str) -> tuple[float, float]:
    started = time.monotonic()
    command = ["tesseract", str(image), "-", "-l", "Devanagari", "--psm", "3"]
    text = subprocess.run(command, env=ONE_THREAD, capture_output=True, text=True, check=True).stdout
    return character_error_rate(text, truth), time.monotonic() - started


def run() -> list[str]:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    print("Scans askew ...", flush=True)
    header = " | ".join(
        f"{degrees:+.1f}°{'' if corners else ', black corners'}: engine | plain"
        for degrees, corners in DEGRADATIONS
    )
    report = [
        "## Scans: real printed pages askew, CER (one tesseract thread)",
        "",
        f"| page | {header} |",
        "|---|" + "---|---|" * len(DEGRADATIONS),
    ]
    totals = {degradation: ([], [], [], []) for degradation in DEGRADATIONS}
    with tempfile.TemporaryDirectory(prefix="bench-scans-") as work:
        for page in sorted(REALWORLD.glob("*.png")):
            truth = page.with_name(f"{page.stem}.gt.txt").read_text()
            cells = []
            for degrees, corners in DEGRADATIONS:
                image = askew(page, degrees, corners, Path(work))
                engine, engine_seconds, _ = engine_reading(image, truth)
                plain, plain_seconds = plain_reading(image, truth)
                for column, value in zip(
                    totals[(degrees, corners)], (engine, plain, engine_seconds, plain_seconds), strict=True
                ):
                    column.append(value)
                cells += [f"{engine:.1%}", f"{plain:.1%}"]
            report.append(f"| {page.stem} | " + " | ".join(cells) + " |")
            print(report[-1], flush=True)
    means = []
    for engine, plain, engine_seconds, plain_seconds in totals.values():
        means += [
            f"**{statistics.mean(engine):.1%}** ({sum(engine_seconds):.0f} s)",
            f"**{statistics.mean(plain):.1%}** ({sum(plain_seconds):.0f} s)",
        ]
    report.append("| mean (seconds in all) | " + " | ".join(means) + " |")
    return report + [""]
