"""The unified social credit code (统一社会信用代码, GB 32100-2015): what makes a value one.

A code is 18 characters of the standard's alphabet — the digits and the upper-case
letters but I, O, Z, S and V (31 characters, each worth its position 0–30) — whose
last character is the check character of the 17 before it (GB/T 17710, MOD 31-3:
weights 3^i mod 31, check = 31 − Σ mod 31, 31 read as 0). :func:`credit_code_fault`
says why a value is not one, in the terms the import report uses; a layer field
declared with ``form="gb32100"`` (``layers.schema.Field``) is checked by it on
validation, and a value that fails is reported and kept as it is (an enterprise list
with a mistyped code loses nothing: the code is to be corrected at its source).
"""

from __future__ import annotations

#: The characters of a code, each worth its position (GB 32100-2015, table 1).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Length of a code.
LENGTH = 18
#: Weight of each of the first 17 characters: 3^i mod 31 (GB 32100-2015, 5.3; GB/T 17710).
WEIGHTS = tuple(pow(3, i, 31) for i in range(LENGTH - 1))
#: The form name a field declares to be checked as a credit code.
FORM = "gb32100"


def check_character(first17: str) -> str:
    """The check character of the first 17 characters of a code (all of :data:`ALPHABET`)."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_fault(text: str) -> str | None:
    """Why ``text`` is not a unified social credit code (English, as the import report says it); None when it is.

    Length first, then the first character outside the alphabet (lower-case letters
    and I, O, Z, S, V are outside it), then the check character.
    """
    if len(text) != LENGTH:
        return f"{len(text)} character(s), not {LENGTH}"
    for position, character in enumerate(text, start=1):
        if character not in ALPHABET:
            return (f"character {character!r} at position {position} is not one of the code's (digits and "
                    "upper-case letters but I, O, Z, S, V)")
    expected = check_character(text[:-1])
    if text[-1] != expected:
        return f"the check character is {text[-1]!r}; the first 17 characters give {expected!r}"
    return None


def fault_message(value: str, reason: str) -> str:
    """The notice a field of this form gives for a value that is not a code: the value, why, and that it is kept."""
    return f"{value!r} is not a unified social credit code (GB 32100-2015): {reason}; kept as it is"


__all__ = ["ALPHABET", "FORM", "LENGTH", "WEIGHTS", "check_character", "credit_code_fault", "fault_message"]
