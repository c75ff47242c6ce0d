"""How far a scan's lines lie turned from level, and the scan turned back before OCR.

A page scanned or photographed a little askew reads worse the more it is turned: real
printed Devanagari pages turned 2.5° read 3-8 points worse than upright, and one came back
empty. The angle is found by projection profiles: the page's ink, shrunk, is turned
through candidate angles and summed along each row; at the angle where the lines lie
level every line's rows are dark and the gaps between them white, so the profile changes
most sharply from row to row. Devanagari's headline (shirorekha) gives each line a sharp
dark row of its own, which makes the peak stand out. Only OCR sees the turned-back image:
the stored page image stays as scanned.
"""

from __future__ import annotations

from PIL import Image

# The widest skew looked for; a page turned further is one lying sideways or upside down,
# which orientation detection handles (ocr.py).
MOST_SKEW_DEGREES = 10.0
COARSE_STEP_DEGREES = 0.5
FINE_STEP_DEGREES = 0.1
# The page's ink is shrunk to these widths to find the angle, coarsely then finely: lines
# of 10-12 pt text stay 5 and 10 px apart, and a turn of the shrunk page takes 0.4 and
# 1.6 ms (nearest neighbour; bilinear took 3 and 12 ms and found the same angles).
COARSE_WIDTH_PX = 500
FINE_WIDTH_PX = 1000
# A grey level darker than this is ink.
INK_BELOW = 145
# The profile at the angle found must be this many times sharper than level: a page without
# lines of text (a picture, a blank page) has no angle to find.
LEAST_SHARPENING = 1.5
# Below this the page is read as it is. Measured on the real printed pages of
# tests/data/realworld turned by 0.5-2.5° (docs/benchmarks.md, Scans): at 0.5° straightening
# read no better, from 1° it read better, most at 2.5°.
STRAIGHTEN_FROM_DEGREES = 1.0


def skew_degrees(image: Image.Image) -> float:
    """The angle, in degrees counter-clockwise, that turns the page's lines level; 0.0 when
    it has no lines of text to tell by."""
    ink = ink_of(narrowed(image.convert("L"), width=FINE_WIDTH_PX))
    coarse_ink = narrowed(ink, width=COARSE_WIDTH_PX)
    around = sharpest(coarse_ink, around=0.0, reach=MOST_SKEW_DEGREES, step=COARSE_STEP_DEGREES)
    best = sharpest(ink, around=around, reach=COARSE_STEP_DEGREES, step=FINE_STEP_DEGREES)
    if sharpness(ink, best) < LEAST_SHARPENING * max(sharpness(ink, 0.0), 1):
        return 0.0
    return round(best, 1)


def sharpest(ink: Image.Image, *, around: float, reach: float, step: float) -> float:
    """Of the angles `step` apart within `reach` of `around`, the one whose profile is sharpest."""
    steps = round(reach / step)
    return max(
        (around + number * step for number in range(-steps, steps + 1)), key=lambda a: sharpness(ink, a)
    )


def narrowed(image: Image.Image, *, width: int) -> Image.Image:
    """The image shrunk to `width` (by averaging) when it is wider."""
    if image.width <= width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.BOX)


def ink_of(image: Image.Image) -> Image.Image:
    """The image's ink as white on black."""
    return image.convert("L").point(lambda value: 255 if value < INK_BELOW else 0)


def sharpness(ink: Image.Image, angle: float) -> int:
    """How sharply the row sums of `ink` turned by `angle` change from row to row."""
    turned = ink.rotate(angle, resample=Image.Resampling.NEAREST) if angle else ink
    rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
    return sum((above - below) ** 2 for above, below in zip(rows, rows[1:], strict=False))
