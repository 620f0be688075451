"""The one pixel limit of raster images (PNG, JPEG, GIF, WebP), read from the header alone.

A raster image is small on disk and large in memory: a 200 KB PNG can declare 3.6 gigapixels,
which the renderer (and every reader's browser) would decode in full. Its width and height are
read without decoding anything, and an image over ``MAX_PIXELS`` is refused before any reader
decodes it, whichever route it takes (an image figure, a Markdown image, the logo, a template's
stylesheet).
"""

from __future__ import annotations

import io
import re
import warnings

MAX_PIXELS = 50_000_000  # 50 megapixels: a 7,000 × 7,000 photo, far past print resolution


def pixel_problem(raw: bytes) -> str | None:
    """Why a raster image is refused for its size (to follow the image's name), or None; bytes
    that are no image Pillow knows are left to the format checks."""
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(raw)) as image:
                width, height = image.size
        except Image.DecompressionBombError as exc:  # over Pillow's own limit (2 × 89 MP)
            found = re.search(r"\(([0-9]+) pixels\)", str(exc))
            return _over(int(found.group(1)) if found else None, None)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            return None
    return _over(width * height, (width, height)) if width * height > MAX_PIXELS else None


def _over(pixels: int | None, size: tuple[int, int] | None) -> str:
    shown = f"{size[0]:,} × {size[1]:,} pixels" if size else (
        f"{pixels:,} pixels" if pixels else "far more pixels than that")
    return (f"is {shown}, over the limit of {MAX_PIXELS // 1_000_000} megapixels for an image; "
            "export it at a smaller size")
