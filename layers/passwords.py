"""The password policy: long enough, not the user name, not a common password.

Length beats composition rules (NIST SP 800-63B §5.1.1.2): no "one digit and one
symbol" rule, but a minimum length and a refusal of the passwords guessers try
first. The list of common passwords is ``data/common_passwords.txt`` (one a line,
``#`` comments; ``PARKATLAS_COMMON_PASSWORDS`` names another file), compared
without regard to case. The policy applies when a password is set; existing
accounts keep their passwords until they change them.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from layers.accounts import AccountError

COMMON_PASSWORDS = Path(__file__).resolve().parents[1] / "data" / "common_passwords.txt"
#: Shortest user name refused *inside* a password: a two-letter name such as ``li`` would forbid ordinary words.
#: A password equal to the user name is refused whatever its length.
NAME_INSIDE_MIN = 3


@functools.lru_cache(maxsize=4)
def common_passwords(path: str | os.PathLike = COMMON_PASSWORDS) -> frozenset[str]:
    """The case-folded passwords listed in ``path`` (read once per path)."""
    with open(path, encoding="utf-8") as handle:
        lines = (line.strip() for line in handle)
        return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


def check_password(password: str, *, username: str, min_length: int, common: frozenset[str]) -> None:
    """:class:`AccountError` (English, ``.zh`` Chinese) naming the first rule ``password`` breaks.

    Parameters
    ----------
    password
        The new password.
    username
        The account's name; the password may not be it, nor contain it (names of
        ``NAME_INSIDE_MIN`` characters or more), in any case.
    min_length
        Fewest characters allowed.
    common
        Case-folded passwords refused (:func:`common_passwords`).
    """
    password = password or ""
    if len(password) < min_length:
        raise AccountError(f"the password needs at least {min_length} characters (it has {len(password)})",
                           zh=f"密码至少需要 {min_length} 个字符（现有 {len(password)} 个）")
    folded, name = password.casefold(), (username or "").strip().casefold()
    if name and (folded == name or (len(name) >= NAME_INSIDE_MIN and name in folded)):
        raise AccountError(f"the password must not be or contain the user name {username.strip()!r}",
                           zh=f"密码不能是用户名 {username.strip()!r}，也不能包含它")
    if folded in common:
        raise AccountError("this password is on the list of the most common passwords, which guessers try "
                           "first; choose another", zh="该密码属于最常见的密码（猜测者最先尝试），请换一个")
