"""Make the sample media of the built-in course, offline: a diagram and a narrated clip.

The built-in deck ships one image and one audio clip so that media is exercised end to end
(bundle check, serving with Range, the projector playing them). A trainer replaces them with
their own. Everything here runs without a network:

- ``three-step.png``: the 三段式法则 (认同感受 -> 说明事实 -> 给出方案) drawn with Pillow and
  the system font (Debian ``fonts-wqy-microhei``);
- ``three-step-demo.ogg``: a short narrated example of the same reply, spoken by
  ``espeak-ng -v cmn`` and encoded by ``ffmpeg`` (Vorbis, mono, low bit rate).

Run from the repository root (needs ``pip install pillow``, ``espeak-ng`` and ``ffmpeg``)::

    python docs/make_sample_media.py

and commit the files under ``games/decks/complaint-handling/media/``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
OUT = Path(__file__).resolve().parent.parent / "games" / "decks" / "complaint-handling" / "media"
STEPS = (("①", "认同感受", "先接情绪，不评判对错", "“换了谁都着急，我理解您。”"),
         ("②", "说明事实", "用详单和记录说话", "“我把详单调出来和您一起看。”"),
         ("③", "给出方案", "在授权内，约定时间", "“今天下午5点前我回您电话。”"))
COLOURS = ("#1f6feb", "#2da44e", "#bf8700")
NARRATION = ("三段式法则示范。第一段，认同感受：一个月多出三百多块，换了谁都着急，我理解您的心情。"
             "第二段，说明事实：我把详单调出来和您一起看，这些流量大多在凌晨，是新手机后台自动更新产生的。"
             "第三段，给出方案：我现在帮您关掉后台数据、设好流量封顶；费用能否减免我按规定申请，今天下午五点前回您电话。")


def diagram(path: Path) -> None:
    """A 1600x900 slide-sized diagram: three boxes joined by arrows, a caption under each."""
    w, h = 1600, 900
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    title = ImageFont.truetype(FONT, 64)
    big = ImageFont.truetype(FONT, 56)
    small = ImageFont.truetype(FONT, 34)
    d.text((w // 2, 90), "三段式法则：先处理心情，再处理事情", font=title, fill="#111", anchor="mm")
    box_w, box_h, gap, top = 400, 300, 110, 250
    left = (w - 3 * box_w - 2 * gap) // 2
    for i, ((num, head, line, say), colour) in enumerate(zip(STEPS, COLOURS, strict=True)):
        x = left + i * (box_w + gap)
        d.rounded_rectangle((x, top, x + box_w, top + box_h), radius=36, fill=colour)
        d.text((x + box_w // 2, top + 95), f"{num} {head}", font=big, fill="white", anchor="mm")
        d.text((x + box_w // 2, top + 200), line, font=small, fill="white", anchor="mm")
        d.text((x + box_w // 2, top + box_h + 70), say, font=small, fill="#333", anchor="mm")
        if i < 2:
            ax = x + box_w + 15
            ay = top + box_h // 2
            d.polygon([(ax, ay - 30), (ax + gap - 30, ay), (ax, ay + 30)], fill="#888")
    d.text((w // 2, h - 90), "培训示意图：可替换为本公司的版本", font=small, fill="#999", anchor="mm")
    img.save(path, optimize=True)


def narration(path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "n.wav"
        subprocess.run(["espeak-ng", "-v", "cmn", "-s", "150", "-w", str(wav), NARRATION], check=True)
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-ac", "1", "-ar", "22050",
                        "-c:a", "libvorbis", "-q:a", "1", str(path)], check=True)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    diagram(OUT / "three-step.png")
    narration(OUT / "three-step-demo.ogg")
    for f in sorted(OUT.iterdir()):
        print(f"{f.relative_to(OUT.parent.parent.parent.parent)}: {f.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
