"""Hostile input that no row rule sees: file names, links out of the inbox, identifiers in
the wrong field. One home for each defence (docs/decisions.md, "Faults and hostile input");
formulas in published text are neutralised by dagster_project/publication/publish._neutralise_formulas.
"""

from __future__ import annotations

import re
from pathlib import Path

from dagster_project.feeds.fnr import is_valid_fnr
from dagster_project.feeds.pseudonym import pseudonym_key, pseudonymise

_ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{11}(?!\d)")
# A whole value of 6-9 digits where the contract wants a code or text: shaped like an HPR
# number (or an organisation number, equally withheld at no loss in a quarantined row).
_HPR_SHAPED = re.compile(r"\d{6,9}")
_QUOTED_HPR_SHAPED = re.compile(r"'(\d{6,9})'")
# Fields whose contract is a number of that size: their digits are data, not an identifier.
_NUMERIC_FIELDS = re.compile(r"^(antall_|verdi$|vekt$|virksomhet_orgnr$|source_row$|rows_)")


def display_name(path: Path | str) -> str:
    """A file name safe to print: control characters (terminal escape codes) and bytes that
    were not UTF-8 shown as escapes, never raw."""
    text = path.name if isinstance(path, Path) else path
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _pseudonym(value: str) -> str:
    return "pseudonym:" + pseudonymise(value, pseudonym_key())[:16]


def scrub_text(text: str) -> str:
    """Every 11-digit run that passes the fødselsnummer mod-11 check, and every quoted value of
    6-9 digits (a message quoting an HPR-shaped value: 'tjeneste '1234567' is not ...'),
    replaced by its pseudonym."""
    text = _ELEVEN_DIGITS.sub(lambda m: _pseudonym(m.group(0)) if is_valid_fnr(m.group(0)) else m.group(0), text)
    return _QUOTED_HPR_SHAPED.sub(lambda m: f"'{_pseudonym(m.group(1))}'", text)


def scrub_values(values: dict) -> dict:
    """A quarantined row's values as they may be stored: fødselsnummer-shaped text anywhere and
    HPR-shaped whole values in non-numeric fields replaced by pseudonyms."""
    clean = {}
    for name, value in values.items():
        if isinstance(value, str):
            stripped = value.strip()
            if _HPR_SHAPED.fullmatch(stripped) and not _NUMERIC_FIELDS.match(str(name)):
                value = _pseudonym(stripped)
            else:
                value = scrub_text(value)
        clean[name] = value
    return clean


def outside_inbox(path: Path, inbox: Path) -> str | None:
    """Why a path under the inbox must not be read (a link, or resolving outside the inbox), or None.
    Decided from the name and the link only: the target is never opened."""
    if path.is_symlink():
        return "a symbolic link: only regular files are read"
    try:
        path.resolve().relative_to(inbox.resolve())
    except ValueError:
        return "resolves outside the inbox"
    return None
