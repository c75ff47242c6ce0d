"""Dark borders of a scan whitened before OCR: the lid left open, the book's edge, the
black corners a page turned askew brings in.

Tesseract reads a dark band along a page as a block of its own and runs its lines into
the text (measured: real printed pages turned 2.5° with black corners read 2-3 points
worse than with white ones, even turned level). A border is dark and reaches the scan's
edge; text is neither: shrunk to a thumbnail, a line of print averages to grey, and it
stops short of the edge. So the thumbnail's dark pixels connected to its edge are the
border, and they are painted white at full size.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFilter

from audiobooks.extraction.page_skew import narrowed

THUMBNAIL_WIDTH_PX = 200
# A thumbnail pixel averages at least this many pixels each way (a small scan's thumbnail is
# narrower): over 8 px and more a stroke of print, even a headline, averages to grey.
LEAST_PATCH_PX = 8
# Darker than this, averaged over a thumbnail pixel, is border, not print.
DARK_BELOW = 80
FILLED = 128  # the border's pixels in the thumbnail, as the flood fill marks them
# Less of the page than this is a speck at its edge, not a border: the page is left as it is.
LEAST_BORDER_SHARE = 0.002


def border_mask(image: Image.Image) -> Image.Image | None:
    """The scan's dark border as a white-on-black mask of the thumbnail's size; None when
    it has none."""
    grey = image.convert("L")
    small = narrowed(grey, width=max(1, min(THUMBNAIL_WIDTH_PX, round(grey.width / LEAST_PATCH_PX))))
    dark = small.point(lambda value: 0 if value < DARK_BELOW else 255)
    width, height = dark.size
    edge = [(x, y) for x in range(width) for y in (0, height - 1)]
    edge += [(x, y) for y in range(height) for x in (0, width - 1)]
    for seed in edge:
        if dark.getpixel(seed) == 0:
            ImageDraw.floodfill(dark, seed, FILLED)
    mask = dark.point(lambda value: 255 if value == FILLED else 0)
    filled = mask.histogram()[255]
    return mask if filled >= LEAST_BORDER_SHARE * width * height else None


def without_dark_borders(image: Image.Image) -> tuple[Image.Image, float]:
    """The scan with its dark border painted white, and the share of the page it covered
    (0.0, and the scan as it is, when it has none)."""
    mask = border_mask(image)
    if mask is None:
        return image, 0.0
    share = mask.histogram()[255] / (mask.width * mask.height)
    # Grown by a thumbnail pixel: the border's edge, half dark, averages above DARK_BELOW.
    full = mask.filter(ImageFilter.MaxFilter(3)).resize(image.size, Image.Resampling.NEAREST)
    whitened = image.convert("L")
    whitened.paste(255, mask=full)
    return whitened, share
