"""Service errors on the public pages, in Swedish and English side by side.

Their readers (a customer answering the survey, a representative following the RSVP link in an
e-mail) are not logged in and cannot choose a language, so these pages show both, as the rest
of their text does. Chosen by the error's ``reason`` (booking.services.errors); the values come
from ``details``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from booking.services.errors import ServiceError

BY_REASON: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "answers_closed": lambda d: (
        "Mötet är inte längre öppet för svar. / The meeting no longer takes answers."
    ),
    "no_longer_invited": lambda d: (
        "Du är inte längre inbjuden till mötet (en ersättare kan ha tagit din plats). "
        "/ You are no longer invited to this meeting (a deputy may have taken your place)."
    ),
    "survey_answers": lambda d: "Några svar behöver rättas. / Some answers need attention.",
    # documents uploaded on the case page (issue 14 §4)
    "document_missing": lambda d: "Välj en fil att ladda upp. / Choose a file to upload.",
    "document_type": lambda d: (
        "Filen kan inte tas emot: bara PDF, PNG och JPEG (ritningar, menyer, planlösningar som "
        "PDF eller bild) går att ladda upp. Spara filen som PDF och försök igen. / Only PDF, PNG "
        "and JPEG files can be uploaded; save the file as a PDF and try again."
    ),
    "document_too_large": lambda d: (
        f"Filen är för stor: högst {d.get('max_mb', 10)} MB per fil. Dela upp den eller spara "
        "den mindre och försök igen. / The file is too large: at most "
        f"{d.get('max_mb', 10)} MB per file."
    ),
    "document_limit": lambda d: (
        f"Ärendet har redan {d.get('max_files', 20)} dokument, det största antalet. Samla "
        "flera sidor i en PDF, eller ta med resten till mötet. / The case already holds "
        f"{d.get('max_files', 20)} documents, the most it can."
    ),
    "survey_answered": lambda d: (
        "Enkäten är redan besvarad. Tack! / This survey has already been answered. Thank you!"
    ),
}

# Per field of the survey form (the codes in ``details``).
FIELD_PROBLEMS: dict[str, str] = {
    # Insikt offers "vet ej" on every question and never forces a grade (a forced grade biases
    # NKI); what is required is a grade on one of the three NKI questions, not on the first.
    "required": "Ge ett betyg på minst en av de tre första frågorna (de andra får vara \u201dvet "
    "ej\u201d). / Give a grade to at least one of the first three questions (the others may be "
    "\u201cdon't know\u201d).",
    "out_of_range": "Välj ett av alternativen eller \u201dvet ej\u201d. / Choose one of the "
    "options or \u201cdon't know\u201d.",
    "too_long": "Kommentaren är för lång. / The comment is too long.",
    "control_character": "Ta bort osynliga styrtecken (till exempel från Word) ur texten. "
    "/ Remove invisible control characters (for example from Word) from the text.",
}


def public_message(exc: ServiceError) -> str:
    translate = BY_REASON.get(exc.reason)
    if translate is not None:
        return translate(exc.details)
    return f"Det gick inte att spara. / It could not be saved: {exc.message}"


def field_problems(details: Mapping[str, Any]) -> dict[str, str]:
    return {name: FIELD_PROBLEMS.get(str(code), str(code)) for name, code in details.items()}
