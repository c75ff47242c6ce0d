"""`make bench BOOKS=models`: every Tesseract model for Devanagari, plain, on the real images.

Issue 14 asks the real scans' mean character error rate to be half of plain `hin+eng`'s.
No choice among tesseract's models can get there if no model, nor the best model for each
image picked by its transcript, reads them that well; this measures it. Models: Debian's
(tessdata_fast) `Devanagari`, `hin`, `san`, `mar` and `nep`, and the tessdata_best models
of the same languages, as integer models, that tesseract.js publishes on the npm registry
(`@tesseract.js-data/LANG`, `4.0.0_best_int`; left out, and said so, when it cannot be
reached). Each image is read with `--psm 3` and one thread, as bench/quality.py reads it;
the CER is against its transcript. Also the choice a program could make without the
transcript: the model with the highest mean word confidence.
"""

import gzip
import os
import shutil
import statistics
import subprocess
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from audiobooks.extraction.tesseract_words import mean_confidence, page_text, parse_tsv
from bench.quality import ONE_THREAD, REALWORLD, ROOT
from tests.support.character_error import character_error_rate

SYSTEM_TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")
# Cached between runs: fetched once from the npm registry.
BEST_TESSDATA = ROOT / "bench" / "out" / "tessdata-best"
FAST_MODELS = ["Devanagari", "hin", "san", "mar", "nep"]
BEST_LANGUAGES = ["hin", "san", "mar", "nep"]


def best_models() -> list[str]:
    """The tessdata_best models as `LANG_best` in BEST_TESSDATA, beside copies of the system's;
    those fetched (none when the registry cannot be reached)."""
    BEST_TESSDATA.mkdir(parents=True, exist_ok=True)
    fetched = []
    for language in BEST_LANGUAGES:
        model = BEST_TESSDATA / f"{language}_best.traineddata"
        if not model.exists() and not fetch_best_model(language, model):
            continue
        fetched.append(f"{language}_best")
    for model in [*FAST_MODELS, "eng"]:
        shutil.copyfile(SYSTEM_TESSDATA / f"{model}.traineddata", BEST_TESSDATA / f"{model}.traineddata")
    shutil.copytree(SYSTEM_TESSDATA / "configs", BEST_TESSDATA / "configs", dirs_exist_ok=True)  # `tsv`
    return fetched


def fetch_best_model(language: str, model: Path) -> bool:
    try:
        with tempfile.TemporaryDirectory() as folder:
            packed = subprocess.run(
                ["npm", "pack", "--silent", f"@tesseract.js-data/{language}@1.0.0"],
                cwd=folder,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()[-1]
            with tarfile.open(Path(folder) / packed) as archive:
                member = archive.extractfile(f"package/4.0.0_best_int/{language}.traineddata.gz")
                model.write_bytes(gzip.decompress(member.read()))
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"tessdata_best {language} left out: it could not be fetched ({exc})", flush=True)
        return False
    return True


def reading(image: Path, model: str) -> tuple[float, float]:
    """(CER, mean word confidence) of plain tesseract with `model` on `image`."""
    tsv = subprocess.run(
        ["tesseract", str(image), "-", "-l", model, "--psm", "3", "tsv"],
        env={**ONE_THREAD, "TESSDATA_PREFIX": str(BEST_TESSDATA)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = parse_tsv(tsv)
    truth = image.with_name(f"{image.stem}.gt.txt").read_text()
    return character_error_rate(page_text(words), truth), mean_confidence(words) or 0.0


def run() -> list[str]:
    models = FAST_MODELS + best_models()
    images = sorted(REALWORLD.glob("*.png"))
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        futures = {
            (image.stem, model): pool.submit(reading, image, model)
            for image in images
            for model in [*models, "hin+eng"]
        }
        cer = {key: future.result()[0] for key, future in futures.items()}
        confidence = {key: future.result()[1] for key, future in futures.items()}
    hin_eng = statistics.mean(cer[(image.stem, "hin+eng")] for image in images)
    best = {image.stem: min(cer[(image.stem, model)] for model in models) for image in images}
    surest = {
        image.stem: cer[(image.stem, max(models, key=lambda model: confidence[(image.stem, model)]))]
        for image in images
    }
    report = [
        "## Every Devanagari model, plain, on the real images",
        "",
        f"{len(images)} images, `--psm 3`, one thread; `_best`: tessdata_best (int) from the npm registry.",
        "",
        "| model | mean CER | best model on (ties count for each) |",
        "|---|---|---|",
    ]
    for model in models:
        wins = sum(cer[(image.stem, model)] == best[image.stem] for image in images)
        mean = statistics.mean(cer[(image.stem, model)] for image in images)
        report.append(f"| {model} | {mean * 100:.1f}% | {wins} of {len(images)} |")
    return report + [
        "",
        f"Plain `hin+eng`: {hin_eng * 100:.1f}%; the target, half of it: {hin_eng * 50:.1f}%.",
        "Each image read with its best model, picked by its transcript: "
        f"{statistics.mean(best.values()) * 100:.1f}%; with the model most confident of its reading: "
        f"{statistics.mean(surest.values()) * 100:.1f}%.",
        "",
    ]
