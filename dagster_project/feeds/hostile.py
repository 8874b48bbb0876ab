"""Hostile input that no row rule sees: file names, links out of the inbox, identifiers in
the wrong field. One home for each defence (docs/decisions.md, "Faults and hostile input");
formulas in published text are neutralised by dagster_project/publication/publish._neutralise_formulas.
"""

from __future__ import annotations

import re
from pathlib import Path

from dagster_project.feeds.pseudonym import pseudonym_key, pseudonymise

# A fødselsnummer or D-number as people type it (inputs.md, "Rules for every file"): 11 digits,
# with or without one space or dash after the date part, whether the check digits hold or
# not, alone or inside longer text.
_FNR_SHAPED = re.compile(r"(?<!\d)(\d{6})[ -]?(\d{5})(?!\d)")
# A value that breaks its field's rule is an identifier whenever it holds a run of 7 or more
# digits: an HPR number typed into the wrong field looks like any other number.
_LONG_DIGIT_RUN = re.compile(r"(?<!\d)\d{7,}(?!\d)")
# Messages quote the value that broke a rule ('...' or "..." as repr writes it).
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
# Tokens whose digit runs are data, never an identifier: UUIDs (lookup ids and the lookup log's
# own pseudonyms), ISO dates and timestamps (fractions of a second), and pseudonyms already given.
_DATA_TOKENS = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|pseudonym:[0-9a-f]{16}"
)
# Fields whose contract is a number of that size: a valid value's digits are data, not an
# identifier (the lookup log's pasient_fnr and hpr_nummer are pseudonymised as their own fields).
_NUMERIC_FIELDS = re.compile(r"^(antall_|verdi$|vekt$|virksomhet_orgnr$|source_row$|source_line$|rows_)")
# Free text a steward or a source writes by hand: an HPR number typed into it is as much an
# identifier as one in the wrong field, so its runs of 7 or more digits are pseudonymised even in
# a valid row (a count in prose is written with spaces: "1 234 567").
_FREE_TEXT_FIELDS = re.compile(r"^(kommentar|kilde|forfatter|tittel|navn|ansvarlig_virksomhet|losning|aldersgruppe)$")
_NUMBER = re.compile(r"-?\d+([.,]\d+)?")
_ORGNR = re.compile(r"\d{9}")


def display_name(path: Path | str) -> str:
    """A file name safe to print: control characters (terminal escape codes) and bytes that
    were not UTF-8 shown as escapes, never raw."""
    text = path.name if isinstance(path, Path) else path
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _pseudonym(value: str) -> str:
    return "pseudonym:" + pseudonymise(value, pseudonym_key())[:16]


def _outside_data_tokens(text: str, replace) -> str:
    """`replace` applied to the text between UUIDs, dates and pseudonyms, which stay as they are."""
    parts, last = [], 0
    for token in _DATA_TOKENS.finditer(text):
        parts += [replace(text[last : token.start()]), token.group(0)]
        last = token.end()
    return "".join([*parts, replace(text[last:])])


def _fnr_pseudonym(match: re.Match[str]) -> str:
    # The digits only: `150385 12363`, `150385-12363` and `15038512363` are one person.
    return _pseudonym(match.group(1) + match.group(2))


def scrub_identifiers(text: str) -> str:
    """Every fødselsnummer-shaped value in the text (any check digits, with a space or dash
    after the date part) replaced by its pseudonym: the rule for every stored text field, file
    names included."""
    return _outside_data_tokens(text, lambda part: _FNR_SHAPED.sub(_fnr_pseudonym, part))


def _scrub_long_runs(text: str) -> str:
    """scrub_identifiers, then every other run of 7 or more digits pseudonymised."""
    return _outside_data_tokens(
        scrub_identifiers(text), lambda part: _LONG_DIGIT_RUN.sub(lambda m: _pseudonym(m.group(0)), part)
    )


def scrub_text(text: str) -> str:
    """A message as it may be stored or logged: fødselsnummer-shaped values anywhere, and runs
    of 7 or more digits inside the quoted value a message names ('tjeneste '1234567' is not
    ...'), replaced by their pseudonyms."""
    return _QUOTED.sub(lambda m: _scrub_long_runs(m.group(0)), scrub_identifiers(text))


def _is_valid_number(name: str, value: str) -> bool:
    if name == "virksomhet_orgnr":
        return bool(_ORGNR.fullmatch(value))
    return bool(_NUMERIC_FIELDS.match(name) and _NUMBER.fullmatch(value))


def scrub_values(values: dict) -> dict:
    """A quarantined row's values as they may be stored: a number in a field whose contract is
    that number is kept; in every other value, fødselsnummer-shaped text and every run of 7 or
    more digits (the row broke a rule: an HPR number in virksomhet_orgnr, an fnr in
    kommunenummer) replaced by pseudonyms."""
    clean = {}
    for name, value in values.items():
        if isinstance(value, str) and not _is_valid_number(str(name), value.strip()):
            value = _scrub_long_runs(value)
        clean[name] = value
    return clean


def scrub_row(values: dict[str, str]) -> dict[str, str]:
    """A valid row's values as they may be stored: fødselsnummer-shaped text in any field but a
    number field's own number (steward comments, titles, ids) replaced by its pseudonym, and in
    free text also every run of 7 or more digits (an HPR number)."""
    return {name: _scrub_stored(name, value) for name, value in values.items()}


def _scrub_stored(name: str, value: str) -> str:
    if _is_valid_number(name, value.strip()):
        return value
    return _scrub_long_runs(value) if _FREE_TEXT_FIELDS.match(name) else scrub_identifiers(value)


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
