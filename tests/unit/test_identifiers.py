"""The identifier rule of inputs.md ("Rules for every file") as hostile.py applies it: every
variant of a fødselsnummer in any text, runs of 7+ digits in a value that broke its rule, and
the data whose digits are data (numbers in number fields, UUIDs, dates, timestamps)."""

from __future__ import annotations

import pytest

from dagster_project.feeds.fnr import control_digits
from dagster_project.feeds.hostile import scrub_identifiers, scrub_row, scrub_text, scrub_values

VALID_FNR = "150385" + "123" + control_digits("150385123")
WRONG_CHECK = "15038512363" if VALID_FNR != "15038512363" else "15038512364"
D_NUMBER = "550385" + "123" + (control_digits("550385123") or "00")
HPR = "1234567"


def _variants(fnr: str) -> list[str]:
    return [fnr, f"{fnr[:6]} {fnr[6:]}", f"{fnr[:6]}-{fnr[6:]}"]


@pytest.mark.parametrize("fnr", [VALID_FNR, WRONG_CHECK, D_NUMBER])
@pytest.mark.parametrize("shape", ["{}", "fnr:{}", "pasient {} ringte", "({})", "{}.", "ref{}x"])
def test_every_fodselsnummer_variant_is_pseudonymised_in_any_text(fnr, shape):
    for written in _variants(fnr):
        text = shape.format(written)
        scrubbed = scrub_identifiers(text)
        assert written not in scrubbed and fnr[6:] not in scrubbed, scrubbed
        assert "pseudonym:" in scrubbed


def test_one_person_gets_one_pseudonym_however_the_number_is_written():
    assert len({scrub_identifiers(v) for v in _variants(WRONG_CHECK)}) == 1


@pytest.mark.parametrize(
    "data",
    [
        "2024-05-01",
        "2024-05-01T10:15:30.1234567+02:00",
        "0f3c2a1e-1234-4abc-8def-a12345678901",  # a UUID whose last group holds 11 digits
        "kj_oppslag_2024-05-01.jsonl.gz",
        "1 234 567 besøk, 98765 brukere",
        "tlf 22 33 44 55",
    ],
)
def test_data_whose_digits_are_data_is_kept(data):
    assert scrub_identifiers(data) == data
    assert scrub_values({"tidspunkt": data}) == {"tidspunkt": data}


def test_a_quarantined_value_with_a_long_digit_run_is_pseudonymised():
    row = {
        "virksomhet_orgnr": HPR,  # an HPR number where a 9-digit organisation number belongs
        "kommunenummer": WRONG_CHECK,
        "oppslag_id": f"{WRONG_CHECK[:6]} {WRONG_CHECK[6:]}",
        "tjeneste": f"hpr {HPR}",
        "antall_besok": "98765432",  # a count is a count
        "tidspunkt": "2024-05-01T10:15:30+02:00",
        "patient_pseudonym": "0f3c2a1e-1234-4abc-8def-987654321098",
    }
    scrubbed = scrub_values(row)
    stored = repr(scrubbed)
    assert HPR not in stored and WRONG_CHECK not in stored and WRONG_CHECK[6:] not in stored
    for kept in ("antall_besok", "tidspunkt", "patient_pseudonym"):
        assert scrubbed[kept] == row[kept]


def test_a_valid_organisation_number_and_counts_keep_their_digits():
    row = {"virksomhet_orgnr": "987654321", "verdi": "12345678901", "kommentar": f"ring {VALID_FNR}"}
    scrubbed = scrub_row(row)
    assert scrubbed["virksomhet_orgnr"] == "987654321" and scrubbed["verdi"] == "12345678901"
    assert VALID_FNR not in scrubbed["kommentar"]


def test_an_hpr_number_in_free_text_is_pseudonymised_and_an_id_is_kept():
    scrubbed = scrub_row({"kommentar": f"HPR-nr {HPR}, 1 234 567 besøk", "respondent_id": "10000234"})
    assert HPR not in scrubbed["kommentar"] and "1 234 567 besøk" in scrubbed["kommentar"]
    assert scrubbed["respondent_id"] == "10000234"


def test_a_message_quoting_a_value_hides_its_identifier_and_keeps_its_counts():
    message = f"kommunenummer '{HPR}' is not a 4-digit code; antall_unike_brukere 1234567 > antall_besok 1234500"
    scrubbed = scrub_text(message)
    assert f"'{HPR}'" not in scrubbed and "1234567 > antall_besok 1234500" in scrubbed
    assert scrub_text(scrubbed) == scrubbed  # a pseudonym is not pseudonymised again
