"""Deck bundles: a folder or a zip holding ``deck.yaml`` and the media files it names.

Reading a bundle is where hostile input meets the file system, so every limit
is checked before the bytes are trusted: how many files, how large each one
says it is *and* how large it turns out to be once inflated (a zip bomb lies in
its header), paths that are absolute or climb out with ``..``, symbolic links,
and each file's type by extension and by its first bytes (``games/media.py``).
A refused file (wrong type, disguised, too large) is a problem at the line of
the slide that names it; a file no slide names is ignored (never stored). Nothing here writes: the
caller stores the media of a deck only once the whole deck validated.
"""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path as FsPath

from games.decks import BUILTIN_DIR, Deck, parse_deck
from games.errors import DeckInvalid, DeckProblem
from games.media import MAX_BYTES, MediaRef, check_file, clean_path, expected_type
from games.yamlsource import MAX_DECK_BYTES

DECK_FILE = "deck.yaml"
MAX_FILES = 200  # entries of a bundle, deck.yaml included
MAX_BUNDLE_BYTES = 100_000_000  # a zip as uploaded, and the inflated total of its files
ZIP_MAGIC = b"PK\x03\x04"
IGNORED = ("__MACOSX/",)  # what archivers add beside the files


@dataclass
class Bundle:
    """What a bundle holds once read: the deck's text, the accepted media and the refusals."""

    deck_text: bytes = b""
    media: dict[str, MediaRef] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # sha256 -> bytes of each accepted file
    refused: dict[str, str] = field(default_factory=dict)  # path -> why
    problems: list[DeckProblem] = field(default_factory=list)  # problems of the bundle itself

    def add(self, path: str, data: bytes) -> None:
        ref, why = check_file(path, data)
        if ref is None:
            self.refused[path] = why or "refused"
        else:
            self.media[path] = ref
            self.files[ref.sha256] = data

    def deck(self, source_name: str) -> Deck:
        """Validate the deck against its media; raise DeckInvalid with every problem, files included.

        A refused file counts only when a slide names it (the problem is then at the slide's
        line): a file no slide names is never stored nor served, so a README or the source of a
        diagram may sit beside the media.
        """
        if self.problems:
            raise DeckInvalid(self.problems, source_name)
        return parse_deck(self.deck_text, source_name, media=self.media, media_problems=self.refused)

    def stored_files(self, deck: Deck) -> dict[str, tuple[str, bytes]]:
        """sha256 -> (type, bytes) of the files the deck names: what the store keeps."""
        return {ref.sha256: (ref.type, self.files[ref.sha256]) for ref in deck.media.values()}


def is_zip(data: bytes) -> bool:
    return data[:4] == ZIP_MAGIC


def read_zip(data: bytes) -> Bundle:
    """A bundle from a zip's bytes; every limit is checked before a file is inflated."""
    out = Bundle()
    if len(data) > MAX_BUNDLE_BYTES:
        out.problems.append(DeckProblem("", None, f"the zip is larger than {MAX_BUNDLE_BYTES:,} bytes"))
        return out
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        out.problems.append(DeckProblem("", None, f"not a readable zip file ({exc})"))
        return out
    with zf:
        entries = [i for i in infos if not i.is_dir() and not i.filename.startswith(IGNORED)]
        if len(entries) > MAX_FILES:
            out.problems.append(DeckProblem("", None, f"the zip holds {len(entries)} files; at most {MAX_FILES}"))
            return out
        declared = sum(i.file_size for i in entries)
        if declared > MAX_BUNDLE_BYTES:
            out.problems.append(DeckProblem("", None, f"the zip's files would inflate to {declared:,} bytes; "
                                                      f"at most {MAX_BUNDLE_BYTES:,}"))
            return out
        prefix = _common_folder([i.filename for i in entries])
        seen: set[str] = set()
        total = 0
        for info in entries:
            name = info.filename[len(prefix):]
            path = clean_path(name)
            if path is None:
                out.problems.append(DeckProblem(info.filename[:200], None,
                                                "an absolute path or one that leaves the bundle ('..')"))
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                out.problems.append(DeckProblem(path, None, "a symbolic link; a bundle holds plain files only"))
                continue
            if path in seen:
                out.problems.append(DeckProblem(path, None, "appears twice in the zip"))
                continue
            seen.add(path)
            limit = MAX_DECK_BYTES if path == DECK_FILE else _limit(path)
            if info.file_size > limit:
                _too_big(out, path, info.file_size, limit)
                continue
            try:
                with zf.open(info) as fh:
                    content = fh.read(limit + 1)  # never more than the limit, whatever the header said
            except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError, NotImplementedError) as exc:
                out.problems.append(DeckProblem(path, None, f"cannot be read from the zip ({exc})"))
                continue
            total += len(content)
            if len(content) > limit or total > MAX_BUNDLE_BYTES:
                out.problems.append(DeckProblem(path, None, "inflates to more than its header declared "
                                                            "or the bundle's limit (a zip bomb?)"))
                return out
            _take(out, path, content)
    if not out.deck_text and not any(p.path == DECK_FILE for p in out.problems):
        out.problems.append(DeckProblem(DECK_FILE, None, f"the zip holds no {DECK_FILE}"))
    return out


def read_folder(folder: FsPath) -> Bundle:
    """A bundle from a folder on disk (a built-in deck, or ``caseroom deck check DIR``)."""
    out = Bundle()
    files = 0
    root = folder.resolve()
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue  # .DS_Store, editor swap files, .git
        if path.is_symlink():
            out.problems.append(DeckProblem(rel, None, "a symbolic link; a bundle holds plain files only"))
            continue
        if path.is_dir():
            continue
        files += 1
        if files > MAX_FILES:
            out.problems.append(DeckProblem("", None, f"the folder holds more than {MAX_FILES} files"))
            return out
        if not path.resolve().is_relative_to(root):
            out.problems.append(DeckProblem(rel, None, "leaves the bundle"))
            continue
        limit = MAX_DECK_BYTES if rel == DECK_FILE else _limit(rel)
        size = path.stat().st_size
        if size > limit:
            _too_big(out, rel, size, limit)
            continue
        _take(out, rel, path.read_bytes())
    if not out.deck_text:
        out.problems.append(DeckProblem(DECK_FILE, None, f"the folder holds no {DECK_FILE}"))
    return out


def read_yaml_file(path: FsPath) -> Bundle:
    """A lone deck file: its folder's media count as its bundle when it is named deck.yaml."""
    if path.name == DECK_FILE:
        return read_folder(path.parent)
    out = Bundle()
    out.deck_text = path.read_bytes()
    return out


def _take(out: Bundle, path: str, content: bytes) -> None:
    if path == DECK_FILE:
        out.deck_text = content
    else:
        out.add(path, content)


def _too_big(out: Bundle, path: str, size: int, limit: int) -> None:
    why = f"'{path}' is {size:,} bytes; at most {limit:,} allowed"
    if path == DECK_FILE:
        out.problems.append(DeckProblem(path, None, why))
    else:
        out.refused[path] = why  # a slide naming it gets this at its line


def _limit(path: str) -> int:
    want = expected_type(path)
    return MAX_BYTES[want[1]] if want else MAX_BYTES["image"]


def _common_folder(names: list[str]) -> str:
    """'course/' when every file of the zip sits in that one folder (a zipped folder), else ''."""
    if DECK_FILE in names:
        return ""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        top = next(iter(tops)) + "/"
        if f"{top}{DECK_FILE}" in names:
            return top
    return ""


def read_path(path: FsPath) -> Bundle:
    """A bundle from what a trainer names: a folder, a zip, or a YAML file."""
    if path.is_dir():
        return read_folder(path)
    with path.open("rb") as fh:
        head = fh.read(4)
    if head == ZIP_MAGIC:
        return read_zip(path.read_bytes())
    return read_yaml_file(path)


def builtin_decks() -> dict[str, Deck]:
    """Every deck shipped in games/decks/, validated; a broken built-in deck is our bug."""
    return {deck_id: deck for deck_id, (deck, _files) in builtin_bundles().items()}


def builtin_bundles() -> dict[str, tuple[Deck, dict[str, tuple[str, bytes]]]]:
    """Every built-in deck with its media files (sha256 -> (MIME type, bytes)) for the store."""
    out: dict[str, tuple[Deck, dict[str, tuple[str, bytes]]]] = {}
    # A deck is one YAML file, or a folder holding deck.yaml (and the media it names).
    for path in sorted([*BUILTIN_DIR.glob("*.yaml"), *BUILTIN_DIR.glob("*/deck.yaml")]):
        if path.name == "deck.yaml":
            bundle = read_folder(path.parent)
            deck = bundle.deck(str(path))
            files = bundle.stored_files(deck)
        else:
            deck, files = parse_deck(path.read_text(encoding="utf-8"), str(path)), {}
        if deck.id in out:
            raise DeckInvalid([DeckProblem("id", None, f"two built-in decks use the id '{deck.id}'")])
        out[deck.id] = (deck, files)
    return out
