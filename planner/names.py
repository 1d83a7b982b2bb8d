"""The one rule by which names are compared: as a person reads them.

A name is cleaned as it is read (:func:`clean`): Unicode composed (NFC), invisible
formatting characters (zero-width spaces, joiners, byte-order marks, soft hyphens) removed,
every kind of space (no-break, thin, figure, ideographic, tabs, line breaks) turned into one
plain space, runs of spaces into one, and the ends trimmed. Two names are the same name
when their :func:`key` is: the cleaned names compatibility-composed (NFKC: full-width
letters, ligatures, sub- and superscript digits read as the plain ones) and case-folded.
The spelling of a name's first appearance is the one the plan and the result use.

Where two names still differ but look alike, :func:`difference` says where, with the
characters' code points and Unicode names.
"""

from __future__ import annotations

import difflib
import unicodedata


def clean(text: str) -> str:
    """``text`` composed, without invisible characters, its spaces as single plain ones."""
    if text.isascii():  # composed already, and no ASCII character is invisible (Cf)
        return " ".join(text.split())
    composed = unicodedata.normalize("NFC", text)
    visible = "".join(c for c in composed if unicodedata.category(c) != "Cf")
    return " ".join(visible.split())


def key(text: str) -> str:
    """What two names share exactly when they are the same name."""
    if text.isascii():  # NFKC leaves ASCII as it is, and casefold() is lower() there
        return " ".join(text.split()).lower()
    return unicodedata.normalize("NFKC", clean(text)).casefold()


def described(char: str) -> str:
    """``'é' U+00E9 LATIN SMALL LETTER E WITH ACUTE``."""
    return f"'{char}' U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}"


def difference(here: str, there: str) -> str:
    """Where ``here`` and ``there`` differ, character by character, or nothing when the
    difference shows plainly (only ASCII letters, digits and punctuation differ, or more
    than two characters)."""
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, here, there,
                                                     autojunk=False).get_opcodes():
        if op == "equal":
            continue
        ours, theirs = here[i1:i2], there[j1:j2]
        if len(ours) > 2 or len(theirs) > 2 or all(_plain(c) for c in ours + theirs):
            return ""  # a difference in the text itself, which shows
        return (f"they differ at character {i1 + 1}: {_listed(ours)} here, "
                f"{_listed(theirs)} there")
    return ""


def _plain(char: str) -> bool:
    return char.isascii() and char.isprintable() and not char.isspace()


def _listed(chars: str) -> str:
    return " ".join(map(described, chars)) or "nothing"


def closest(value: str, known: list[str] | set[str]) -> str | None:
    """The known name that is ``value`` by the names rule, or else the closest one."""
    same = {key(k): k for k in known}.get(key(value)) or next(
        (k for k in known if _look_alike(key(value), key(k))), None)
    close = [same] if same else difflib.get_close_matches(value, list(known), n=1, cutoff=0.75)
    return close[0] if close else None


def _look_alike(a: str, b: str) -> bool:
    """Equal but where one of them has a letter from another script (Cyrillic 'о' for 'o')."""
    return len(a) == len(b) and a != b and all(
        x == y or not (x.isascii() and y.isascii()) for x, y in zip(a, b))


def suggestion(value: str, known: list[str] | set[str]) -> str:
    """`` (did you mean 'X'?)`` for the known name closest to ``value``, with where they
    differ if that does not show; or nothing."""
    match = closest(value, known)
    if match is None:
        return ""
    unseen = difference(value, match)
    return f" (did you mean '{match}'?{' ' + unseen if unseen else ''})"


def spellings(names) -> dict[str, str]:
    """Name key -> the spelling of the name's first appearance (:mod:`planner.names`)."""
    found: dict[str, str] = {}
    for name in names:
        if name is not None:
            found.setdefault(key(str(name)), name)
    return found
