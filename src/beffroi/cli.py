"""`beffroi …`: the commands an administrator, the demo and the acceptance tests use."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from collections.abc import Sequence
from pathlib import Path


def _data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, required=True, help="data directory (archive, database)")


def build_parser() -> argparse.ArgumentParser:
    from beffroi.access import cli as access_cli
    from beffroi.archive import cli as archive_cli
    from beffroi.backup import cli as backup_cli
    from beffroi.export import cli as export_cli
    from beffroi.journal import cli as journal_cli
    from beffroi.sim import cli as sim_cli
    from beffroi.site import cli as site_cli

    parser = argparse.ArgumentParser(prog="beffroi", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--version",
        action=_Version,
        nargs=0,
        help="print the version and the schema revision this version migrates to",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the recorder and the API")
    run.add_argument("--site", type=Path, required=True, help="site file (YAML)")
    _data_arg(run)
    run.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT of the API")
    run.add_argument(
        "--in-process",
        action="store_true",
        help="record in threads of this process instead of worker processes (small sites)",
    )
    run.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        type=_network,
        metavar="ADDRESS[/PREFIX]",
        help="a reverse proxy whose X-Forwarded-For names the client (repeatable); "
        "from any other peer the header is ignored",
    )
    run.add_argument(
        "--tls-cert",
        type=Path,
        metavar="FILE",
        help="serve HTTPS with this certificate (PEM, with its chain); default: "
        "DATA/tls/cert.pem when present",
    )
    run.add_argument(
        "--tls-key",
        type=Path,
        metavar="FILE",
        help="the certificate's private key (PEM, mode 0600); default: DATA/tls/key.pem",
    )
    _insecure_arg(run)
    run.set_defaults(func=_run)

    demo = sub.add_parser("demo", help="the demo: simulated cameras of five communes + run")
    demo.add_argument("--data", type=Path, default=Path("demo-data"), help="data directory")
    demo.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT of the API")
    demo.add_argument("--sim-port", type=int, default=8554, help="port of the simulated cameras")
    demo.add_argument(
        "--dc09-port", type=int, default=12128, help="port of the SIA DC-09 alarm receiver"
    )
    demo.add_argument(
        "--mail-port", type=int, default=2525, help="port of the demo's mailbox (SMTP)"
    )
    demo.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with the demo's self-signed certificate (DATA/tls/, made on first "
        "start for 127.0.0.1 and localhost; browsers warn about it)",
    )
    _insecure_arg(demo)
    demo.set_defaults(func=_demo)

    check = sub.add_parser("check", help="verify archive files, index and hash chains")
    _data_arg(check)
    check.set_defaults(func=_check)

    site_cli.add_parser(sub)
    journal_cli.add_parser(sub)
    access_cli.add_parser(sub)
    sim_cli.add_parser(sub)
    export_cli.add_parser(sub)
    backup_cli.add_parser(sub)
    archive_cli.add_parser(sub)
    return parser


class _Version(argparse.Action):
    """`--version`, computed only when asked (it reads the migrations)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from beffroi import __version__
        from beffroi.db.migrate import head_revision

        print(f"beffroi {__version__} (schema {head_revision()})")
        parser.exit()


def _insecure_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--insecure-http",
        action="store_true",
        help="allow plain HTTP on a non-loopback --listen address (passwords and cookies "
        "in clear on the network); refused otherwise",
    )


def _listen(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `[V6]:PORT` or `:PORT` (127.0.0.1)."""
    host, _, port = text.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def _run(args: argparse.Namespace) -> int:
    from beffroi.server import Options, serve

    host, port = _listen(args.listen)
    return serve(
        Options(
            site=args.site,
            data_dir=args.data,
            host=host,
            port=port,
            use_processes=not args.in_process,
            trusted_proxies=tuple(args.trusted_proxy),
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            insecure_http=args.insecure_http,
        )
    )


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an address or network: {text!r}") from None


def _demo(args: argparse.Namespace) -> int:
    from beffroi.demo import run_demo

    host, port = _listen(args.listen)
    return run_demo(
        args.data,
        host,
        port,
        args.sim_port,
        args.dc09_port,
        args.mail_port,
        tls=args.tls,
        insecure_http=args.insecure_http,
    )


def _check(args: argparse.Namespace) -> int:
    from beffroi.archive.check import check_archive, format_report
    from beffroi.archive.layout import archive_root
    from beffroi.db.engine import database_url, make_engine
    from beffroi.db.migrate import upgrade

    if not args.data.is_dir():
        print(f"beffroi check: no data directory {args.data}", file=sys.stderr)
        return 2
    engine = make_engine(database_url(args.data))
    upgrade(engine)
    report = check_archive(engine, archive_root(args.data))
    print(format_report(report))
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    logging.getLogger("libav").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from beffroi.db.migrate import SchemaTooNewError

    try:
        if args.command == "user":
            _journal_user_commands(args.data)
        result: int = args.func(args)
    except SchemaTooNewError as exc:  # every command migrates first: one answer for all
        print(f"beffroi {args.command}: {exc}", file=sys.stderr)
        return 1
    return result


def _journal_user_commands(data_dir: Path) -> None:
    """`beffroi user …` changes accounts: journal them in the installation's journal,
    like the same actions done through the API."""
    from beffroi.clock import SystemClock
    from beffroi.db.engine import database_url, make_engine
    from beffroi.db.migrate import upgrade
    from beffroi.journal.http import connect_access_events
    from beffroi.journal.service import Journal

    if not data_dir.is_dir():
        return  # the command itself reports the missing data directory
    engine = make_engine(database_url(data_dir))
    upgrade(engine)
    connect_access_events(Journal.open(engine, SystemClock(), data_dir))


if __name__ == "__main__":
    sys.exit(main())
