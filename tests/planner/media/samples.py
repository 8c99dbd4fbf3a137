"""Real media files made for the tests: Pillow images (with EXIF orientation and GPS), an HEIC
written by pillow-heif, and a small MP4 whose boxes carry a known duration and size."""

from __future__ import annotations

import io
import struct

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

ORIENTATION = 0x0112
GPS_IFD = 0x8825


def image_bytes(
    width: int = 120,
    height: int = 80,
    fmt: str = "JPEG",
    *,
    colour: tuple[int, int, int] = (200, 40, 40),
    orientation: int | None = None,
    gps: bool = False,
    noise: bool = False,
) -> bytes:
    """An image whose left half is coloured and right half white (so a rotation shows)."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    image.paste(Image.new("RGB", (width // 2, height), colour), (0, 0))
    if noise:
        image = Image.frombytes("RGB", (width, height), _noise(width * height * 3))
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (56.0, 57.0, 0.0), 3: "E", 4: (24.0, 6.0, 0.0)}
    out = io.BytesIO()
    options = {"exif": exif.tobytes()} if (orientation or gps) and fmt == "JPEG" else {}
    image.save(out, fmt, **options)
    return out.getvalue()


def _noise(size: int) -> bytes:
    # Deterministic bytes that JPEG cannot compress much (a heavy photo stand-in).
    import random

    rng = random.Random(7)
    return rng.randbytes(size)


def heic_bytes(width: int = 64, height: int = 48) -> bytes:
    image = Image.new("RGB", (width, height), (20, 120, 200))
    out = io.BytesIO()
    image.save(out, format="HEIF")
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_bytes(
    duration_ms: int = 4000, width: int = 640, height: int = 360, padding: int = 3000
) -> bytes:
    """An MP4 container: ftyp, moov (mvhd with the duration, a video trak's tkhd with the size)
    and an mdat of padding."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    mvhd = _box(b"mvhd", b"\0\0\0\0" + struct.pack(">IIII", 0, 0, 1000, duration_ms) + b"\0" * 80)
    tkhd = _box(
        b"tkhd",
        b"\0\0\0\x03"
        + struct.pack(">IIIII", 0, 0, 1, 0, duration_ms)
        + b"\0" * 8
        + b"\0" * 8
        + b"\0" * 36
        + struct.pack(">II", width << 16, height << 16),
    )
    moov = _box(b"moov", mvhd + _box(b"trak", tkhd))
    return ftyp + moov + _box(b"mdat", b"\x01" * padding)


def pixel(data: bytes, x: int, y: int) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").getpixel((x, y))


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
