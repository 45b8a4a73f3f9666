"""Who may use the board, and as what.

A users file (TOML, kept outside the repository; its path in ``$CONTINGENCY_USERS`` or given to
``contingency board --users``) names each user with a role and a bcrypt hash of the password,
never the password::

    [users.duty_officer]
    role = "controller"
    password_hash = "$2b$12$..."

A *controller* runs scenarios, uploads, injects, moves levers, changes the seed and runs stress
tests; a *viewer* (a wall display) only watches. Without a users file the board is for the
local user alone: it serves pages only on a loopback address, as controller.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import bcrypt

from contingency.errors import InputError, Problem, problem

USERS_ENV = "CONTINGENCY_USERS"
CONTROLLER = "controller"
VIEWER = "viewer"
ROLES = (CONTROLLER, VIEWER)
NAME_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
"""User names are TOML bare keys: letters, digits, ``_`` and ``-``."""
HASH_RE = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")
PASSWORD_MIN_CHARS = 8
PASSWORD_MAX_BYTES = 72
"""bcrypt reads at most 72 bytes of a password; a longer one is refused, never cut."""
BCRYPT_ROUNDS = 12


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: bytes


def users_path() -> Path | None:
    """The users file named by ``$CONTINGENCY_USERS``, or None when the variable is unset."""
    value = os.environ.get(USERS_ENV, "").strip()
    return Path(value) if value else None


def is_loopback(host: str | None) -> bool:
    """Whether a server bound to ``host`` can be reached from this machine only. Unset or empty
    means every interface (Streamlit's own default), so it is not loopback."""
    if not host:
        return False
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:  # a host name other than localhost may resolve anywhere
        return False


def load_users(path: str | Path) -> dict[str, User]:
    """Read and check a users file; raise :class:`InputError` with every problem found."""
    path = Path(path)
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError([problem(file, "", "no such users file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([problem(file, "", f"cannot read the users file: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([problem(file, "", f"malformed TOML: {exc}")]) from None
    problems: list[Problem] = []
    unknown = sorted(set(data) - {"users"})
    problems += [problem(file, key, "unknown key") for key in unknown]
    table = data.get("users", {})
    if not isinstance(table, dict):
        raise InputError([*problems, problem(file, "users", "must be a table of users")])
    users = {}
    for name, entry in table.items():
        where = f"users.{name}"
        if not NAME_RE.match(name):
            problems.append(
                problem(file, where, "a user name is letters, digits, _ and -, at most 64", name)
            )
            continue
        if not isinstance(entry, dict):
            problems.append(problem(file, where, "must be a table with role and password_hash"))
            continue
        role, hashed = entry.get("role"), entry.get("password_hash")
        problems += [
            problem(file, f"{where}.{k}", "unknown key")
            for k in sorted(entry)
            if k not in ("role", "password_hash")
        ]
        if role not in ROLES:
            problems.append(problem(file, f"{where}.role", f"must be one of {ROLES}", role))
        if not isinstance(hashed, str) or not HASH_RE.match(hashed):
            # the value is not quoted: it may be a password someone put there by mistake
            problems.append(
                problem(file, f"{where}.password_hash", "must be a bcrypt hash ($2b$...)")
            )
        if role in ROLES and isinstance(hashed, str) and HASH_RE.match(hashed):
            users[name] = User(name, role, hashed.encode("ascii"))
    if problems:
        raise InputError(problems)
    return users


def password_problems(password: str) -> list[str]:
    """Why ``password`` cannot be used (empty when it can)."""
    out = []
    if len(password) < PASSWORD_MIN_CHARS:
        out.append(f"a password has at least {PASSWORD_MIN_CHARS} characters")
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        out.append(f"a password has at most {PASSWORD_MAX_BYTES} bytes (bcrypt reads no more)")
    return out


def write_user(
    path: str | Path, name: str, *, role: str, password: str, rounds: int = BCRYPT_ROUNDS
) -> None:
    """Add ``name`` to the users file at ``path`` (created if missing), or replace its role and
    password. Only the bcrypt hash is written; the file is replaced whole, readable by its
    owner only."""
    path = Path(path)
    wrong = []
    if not NAME_RE.match(name):
        wrong.append(f"user name: letters, digits, _ and -, at most 64 (got {name!r})")
    if role not in ROLES:
        wrong.append(f"role: must be one of {', '.join(ROLES)} (got {role!r})")
    wrong += password_problems(password)
    if wrong:
        raise InputError([problem(str(path), "", w) for w in wrong])
    users = load_users(path) if path.exists() else {}
    hashed = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds))
    users[name] = User(name, role, hashed)
    _write(path, users)


def remove_user(path: str | Path, name: str) -> bool:
    """Remove ``name`` from the users file; False when it was not there."""
    users = load_users(path)
    if users.pop(name, None) is None:
        return False
    _write(Path(path), users)
    return True


def _write(path: Path, users: dict[str, User]) -> None:
    lines = [
        "# Board users: `contingency users add NAME --role controller|viewer --file THIS_FILE`.",
        "# bcrypt hashes only; keep this file outside the repository, readable by its owner.",
    ]
    for u in sorted(users.values(), key=lambda u: u.name):
        lines += [
            "",
            f"[users.{u.name}]",
            f'role = "{u.role}"',
            f'password_hash = "{u.password_hash.decode("ascii")}"',
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp: mode 0600
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@cache
def _stand_in_hash() -> bytes:
    """A hash to check against when the user does not exist, so that a wrong name takes as
    long as a wrong password."""
    return bcrypt.hashpw(os.urandom(16).hex().encode(), bcrypt.gensalt(BCRYPT_ROUNDS))


def check_login(users: dict[str, User], name: str, password: str) -> User | None:
    """The user if ``password`` is theirs, else None; the same work is done whether or not
    ``name`` exists, and the answer does not say which."""
    user = users.get(name)
    secret = password.encode("utf-8")
    matches = bcrypt.checkpw(
        secret[:PASSWORD_MAX_BYTES], user.password_hash if user else _stand_in_hash()
    )
    return user if matches and user is not None and len(secret) <= PASSWORD_MAX_BYTES else None
