"""Deck bundles for tests, made offline: a PNG drawn here, short clips committed under fixtures/media.

The clips were made with ``ffmpeg -f lavfi`` (a colour and a 440 Hz tone: WebM VP8/Vorbis 6 s,
MP4 H.264/AAC 4 s, MP3 2 s), a few KB each.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

MEDIA = Path(__file__).parent / "fixtures" / "media"


def png(width: int = 64, height: int = 36, rgb: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    """A plain-colour PNG, written by hand (the format is a signature and three chunks)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


SLIDE_DECK = """\
id: slides
title: 讲授测试
timing: {vote: 60, slide: 10}
modules:
  - {id: m1, title: 模块一}
  - {id: m2, title: 模块二}
activities:
  - id: s-three
    kind: slide
    module: m1
    title: 三段式法则
    points: [认同感受, 说明事实, 给出方案]
    image: media/three-step.png
    caption: 图：三段式
    notes: |
      讲师提示：先问学员遇到过的难缠客户。
    duration: 120
  - id: s-video
    kind: slide
    module: m1
    title: 示范视频
    video: media/clip.webm
    quote:
      text: 电信业务经营者应当为电信用户交费和查询提供方便。
      source: 《中华人民共和国电信条例》（2016年修订）第三十三条
    compare:
      - {title: 投诉, points: [向企业提出]}
      - {title: 申诉, points: [向申诉受理机构提出]}
    notes: 讲师提示：视频播放两遍。
    duration: 60
  - id: v1
    kind: vote
    module: m2
    title: 第一题
    time_limit: 30
    debrief: 45
    card: {situation: 客户说流量费太高。}
    options:
      - {id: a, text: 直接拒绝, rating: poor}
      - {id: b, text: 核对详单, rating: best}
  - id: s-end
    kind: slide
    module: m2
    title: 小结
agendas:
  short: {title: 短课, days: [[s-three, v1]]}
  two: {title: 两天, days: [[s-three, s-video], [v1, s-end]]}
"""


def files(**extra: bytes) -> dict[str, bytes]:
    """deck.yaml and the media it names, plus ``extra`` (path with '__' for '/': media__x.png)."""
    out = {"deck.yaml": SLIDE_DECK.encode(), "media/three-step.png": png(),
           "media/clip.webm": (MEDIA / "clip.webm").read_bytes()}
    out.update({k.replace("__", "/"): v for k, v in extra.items()})
    return out


def write_folder(root: Path, content: dict[str, bytes]) -> Path:
    for name, data in content.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def zip_bytes(content: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in content.items():
            zf.writestr(name, data)
    return buf.getvalue()
