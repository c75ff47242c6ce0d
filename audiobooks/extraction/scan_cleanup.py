"""A scan made ready for OCR, in a child process of its own: its dark borders whitened
(page_borders.py), then turned level when it lies askew (page_skew.py). Only OCR reads the
result; the page picture stays as scanned.

Run as `python -m audiobooks.extraction.scan_cleanup IMAGE OUTPUT` by ocr.py: turning a
300-dpi page takes 0.2-0.3 s of CPU, which in a gevent worker would hold every stream of
the process. Prints what it did as JSON; writes OUTPUT only when it changed the scan.
"""

from __future__ import annotations

import json
import sys

from PIL import Image

from audiobooks.extraction.page_borders import without_dark_borders
from audiobooks.extraction.page_skew import STRAIGHTEN_FROM_DEGREES, skew_degrees


def cleaned_scan(image_path: str, output_path: str) -> dict[str, float]:
    """`turned`: the degrees the scan was turned to lie level (0.0: not turned);
    `border_share`: the share of it a dark border covered, now white."""
    with Image.open(image_path) as scan:
        grey = scan.convert("L")
    whitened, border_share = without_dark_borders(grey)
    turned = skew_degrees(whitened)
    if abs(turned) < STRAIGHTEN_FROM_DEGREES:
        turned = 0.0
    if turned:
        whitened = whitened.rotate(turned, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if turned or border_share:
        whitened.save(output_path)
    return {"turned": turned, "border_share": round(border_share, 3)}


if __name__ == "__main__":
    print(json.dumps(cleaned_scan(sys.argv[1], sys.argv[2])))
