"""`beffroi user …`: create and manage users from the command line.

Works while `beffroi run` serves the same data directory (SQLite in WAL mode, or the
same `BEFFROI_DATABASE_URL`): every command is a short transaction of its own.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from beffroi.access import accounts, enrolment, invitations
from beffroi.access.passwords import PasswordPolicyError
from beffroi.access.permissions import USER_ROLES


def add_parser(subparsers: Any) -> None:
    user = subparsers.add_parser("user", help="create and manage users")
    sub = user.add_subparsers(dest="user_command", required=True)

    add = sub.add_parser(
        "add",
        help="create a user; prints the invitation code with which its agent chooses a "
        "password (or, with --password-stdin, reads one: for scripted set-ups)",
    )
    _data(add)
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in USER_ROLES])
    add.add_argument(
        "--commune", action="append", default=[], metavar="ID", help="repeat for several"
    )
    add.add_argument("--police", action="store_true", help="the agent is municipal police")
    add.add_argument(
        "--camera",
        action="append",
        default=[],
        metavar="ID",
        help="patrol: a designated camera (repeat); a patrol agent sees only these",
    )
    add.add_argument("--approval", metavar="REF", help="prefectoral approval reference")
    add.add_argument("--approval-expires", type=_date, metavar="DATE", help="YYYY-MM-DD")
    add.add_argument("--training", type=_date, metavar="DATE", help="data-protection training")
    add.add_argument("--account-expires", type=_date, metavar="DATE", help="YYYY-MM-DD")
    add.add_argument("--full-name")
    add.add_argument("--service")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password instead of inviting"
    )
    add.set_defaults(func=_add)

    reset = sub.add_parser(
        "reset",
        help="print a one-time access code with which the agent chooses a new password "
        "and enrols a new second factor (forgotten password, lost phone)",
    )
    _data(reset)
    reset.add_argument("username")
    reset.set_defaults(func=_reset)

    totp = sub.add_parser("totp", help="enrol a new second factor; prints the otpauth:// URI")
    _data(totp)
    totp.add_argument("username")
    totp.set_defaults(func=_totp)

    lst = sub.add_parser("list", help="list users and their agent record")
    _data(lst)
    lst.add_argument("--json", action="store_true", help="JSON instead of a table")
    lst.set_defaults(func=_list)

    for name, func, text in (
        ("unlock", _unlock, "lift a lockout"),
        ("disable", _disable, "disable a user and end its sessions"),
        ("enable", _enable, "enable a disabled user"),
    ):
        p = sub.add_parser(name, help=text)
        _data(p)
        p.add_argument("username")
        p.set_defaults(func=func)


def _data(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, required=True, help="data directory (database)")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _engine(data: Path) -> Engine:
    from beffroi.db.engine import database_url, make_engine
    from beffroi.db.migrate import upgrade

    data.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url(data))
    upgrade(engine)
    return engine


def _fail(message: str) -> int:
    print(f"beffroi user: {message}", file=sys.stderr)
    return 1


def _add(args: argparse.Namespace) -> int:
    from beffroi.access.users import UserExistsError, create_user
    from beffroi.clock import default_clock

    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    engine = _engine(args.data)
    try:
        create_user(
            engine,
            args.username,
            password,
            args.role,
            args.commune,
            default_clock(),
            full_name=args.full_name,
            service=args.service,
            is_police=args.police,
            approval_ref=args.approval,
            approval_expires=args.approval_expires,
            training_date=args.training,
            account_expires=args.account_expires,
            cameras=args.camera,
        )
    except PasswordPolicyError as exc:
        return _fail(f"password refused ({exc.code}): {exc}")
    except UserExistsError as exc:
        return _fail(str(exc))
    except ValueError as exc:
        return _fail(str(exc))
    print(f"user {args.username!r} created ({args.role})")
    if password is None:
        _print_code(invitations.issue_directly(engine, default_clock(), args.username))
    return 0


def _reset(args: argparse.Namespace) -> int:
    from beffroi.clock import default_clock

    try:
        issued = invitations.issue_directly(_engine(args.data), default_clock(), args.username)
    except invitations.AccessCodeError as exc:
        return _fail(str(exc))
    _print_code(issued)
    return 0


def _print_code(issued: invitations.IssuedCode) -> None:
    from beffroi.clock import from_ms

    until = from_ms(issued.expires_ms).strftime("%Y-%m-%d %H:%M UTC")
    print(f"access code for {issued.username!r}, valid until {until} (shown once):")
    print(issued.code)
    print("The agent opens the console, chooses « J'ai un code d'accès » and types it.")


def _totp(args: argparse.Namespace) -> int:
    from beffroi.access.secrets_box import TotpKey, TotpKeyError

    engine = _engine(args.data)
    try:
        key = TotpKey.load(args.data)
    except TotpKeyError as exc:
        return _fail(str(exc))
    # Secrets an older version stored in clear are encrypted first, as `beffroi run` does.
    enrolment.encrypt_totp_secrets(engine, key, actor="cli", source="cli")
    try:
        enrolled = enrolment.set_totp(engine, args.username, totp_key=key)
    except accounts.UnknownUserError:
        return _fail(f"no user {args.username!r}")
    print(enrolled.uri)
    return 0


def _list(args: argparse.Namespace) -> int:
    from beffroi.clock import default_clock

    rows = accounts.list_users(_engine(args.data), default_clock())
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], default=str, indent=2))
        return 0
    print(f"{'user':<20} {'role':<13} {'communes':<30} {'approval until':<15} state")
    for r in rows:
        state = ",".join(
            s for s, on in (("disabled", r.disabled), ("locked", r.locked), ("totp", r.totp)) if on
        )
        until = "police" if r.is_police else str(r.approval_expires or "-")
        communes = ",".join(r.communes) or "(all)"
        print(f"{r.username:<20} {r.role:<13} {communes:<30} {until:<15} {state}")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    try:
        accounts.unlock(_engine(args.data), args.username, "cli", "cli")
    except accounts.UnknownUserError:
        return _fail(f"no user {args.username!r}")
    print(f"user {args.username!r} unlocked")
    return 0


def _set_disabled(args: argparse.Namespace, disabled: bool) -> int:
    try:
        accounts.set_disabled(_engine(args.data), args.username, disabled, "cli", "cli")
    except accounts.UnknownUserError:
        return _fail(f"no user {args.username!r}")
    print(f"user {args.username!r} {'disabled' if disabled else 'enabled'}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    return _set_disabled(args, True)


def _enable(args: argparse.Namespace) -> int:
    return _set_disabled(args, False)


def main(argv: list[str] | None = None) -> int:
    """`python -m beffroi.access.cli user …`: the same commands without the rest of the
    CLI (used by tests; `beffroi user …` is the documented form)."""
    parser = argparse.ArgumentParser(prog="beffroi")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
