"""`calcbridge`: the embedded database, the landing zone, processing runs, backfills, API keys and `up`."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from orchestration.core import postgres
from orchestration.core.errors import InputError
from orchestration.core.progress import Console, RunOutcome, log_file, streams_to, summary
from orchestration.core.settings import DOMAINS, PROJECT_ROOT, PlatformSettings, get_settings, is_tenant_id

HOST = "127.0.0.1"


def cmd_db(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.action == "up":
        from orchestration.cli_runs import prepare_environment

        prepare_environment(settings)
        print(postgres.render(postgres.warehouse_url(settings)))
        return 0
    if args.action == "down":
        if settings.database_url:
            print("DATABASE_URL is set: the external server is not ours to stop")
            return 0
        print("stopped" if postgres.stop_embedded(settings) else "not running")
        return 0
    if args.action == "status":
        state = postgres.status(settings)
        kind = "embedded" if state.embedded else "external"
        print(f"{kind}: {'running' if state.running else 'stopped'}")
        if state.pid:
            print(f"pid: {state.pid}\nsocket: {state.socket_dir}")
        if state.url:
            print(f"url: {state.url}")
        return 0 if state.running else 1
    url = postgres.dagster_url(settings) if args.dagster else postgres.warehouse_url(settings)
    print(postgres.render(url))
    return 0


def _refuse_tenant(tenant: str | None) -> bool:
    """Print the one-line typed refusal of a tenant id that is not a lowercase slug; True when refused."""
    if tenant is None or is_tenant_id(tenant):
        return False
    rule = "a lowercase slug: a letter or digit, then letters, digits, '-' or '_', at most 63 characters"
    print(f"error: INVALID_TENANT: {tenant!r} is not a tenant id ({rule})", file=sys.stderr)
    return True


def cmd_ingest(args: argparse.Namespace) -> int:
    from orchestration.core.landing import copy_into_landing, is_sidecar

    if _refuse_tenant(args.tenant):
        return 2
    settings = get_settings()
    count = 0
    for raw in args.paths:
        path = Path(raw)
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if is_sidecar(file):
                continue
            if not file.is_file():
                print(f"error: {file} is not a file", file=sys.stderr)
                return 2
            target = copy_into_landing(file, settings.landing, args.tenant, args.domain)
            print(target)
            count += 1
    print(f"{count} file(s) landed in {settings.landing / args.tenant / args.domain}")
    return 0


def reported(settings: PlatformSettings, command: str, verbose: bool, body: Callable[[Console], int]) -> int:
    """Run a command's body with its console; unless `verbose`, all else it writes goes to a file under logs/.

    The log file is named on the terminal at the end, even after a crash. A typed refusal (InputError) is one
    line on stderr, `error: CODE: message`, with exit status 2 and no log file.
    """
    if verbose:
        try:
            return body(Console(sys.stdout, show_bar=False))  # the event stream shares the terminal: no bar
        except InputError as error:
            return _refuse(error)
    path = log_file(settings.home / "logs", command)
    refused = False
    try:
        with streams_to(path) as terminal:
            console = Console(terminal, echo=sys.stdout)
            try:
                return body(console)
            finally:
                console.close()
    except InputError as error:
        refused = True
        path.unlink(missing_ok=True)
        return _refuse(error)
    finally:
        if not refused:
            print(f"log: {path}")


def _refuse(error: InputError) -> int:
    """The refusal on one line: code, message and where (the file, variable or command at fault)."""
    where = f" (at {error.where})" if error.where else ""
    print(f"error: {error.code}: {error.message}{where}", file=sys.stderr)
    return 2


def _finish(console: Console, outcomes: Sequence[RunOutcome], nothing: str) -> int:
    if not outcomes:
        console.say(nothing)
        return 0
    return summary(console, outcomes)


def cmd_process(args: argparse.Namespace) -> int:
    settings = get_settings()

    def body(console: Console) -> int:
        from orchestration.cli_runs import process

        outcomes = process(settings, console, settle_seconds=args.settle)
        return _finish(console, outcomes, "nothing new in the landing zone")

    return reported(settings, "process", args.verbose, body)


def cmd_rerun(args: argparse.Namespace) -> int:
    if _refuse_tenant(args.tenant):
        return 2
    if not args.failed and (args.domain is None or not args.partitions):
        print("error: name --domain and partition keys, or use --failed", file=sys.stderr)
        return 2
    settings = get_settings()

    def body(console: Console) -> int:
        from orchestration.cli_runs import rerun

        outcomes = rerun(settings, console, args.domain, args.partitions, failed=args.failed, tenant=args.tenant)
        return _finish(console, outcomes, "no failed partitions to re-run")

    return reported(settings, "rerun", args.verbose, body)


def cmd_backfill(args: argparse.Namespace) -> int:
    from orchestration.equity.backfill import parse_day, status

    if _refuse_tenant(args.tenant):
        return 2
    settings = get_settings()

    def body(console: Console) -> int:
        from orchestration.cli_runs import backfill_equity
        from orchestration.core.resources import engine_for

        start, end = parse_day(args.start), parse_day(args.end)
        outcomes, backfills = backfill_equity(settings, console, args.tenant, args.portfolio, start, end)
        code = summary(console, outcomes)
        engine = engine_for(postgres.render(postgres.warehouse_url(settings)))
        for b in backfills:
            console.say(
                f"backfill {b.backfill_id} {b.tenant_id}/{b.portfolio_id} {b.start}..{b.end} "
                f"({len(b.sessions)} trading days): {status(engine, b.backfill_id)}"
            )
        return code

    return reported(settings, "backfill", args.verbose, body)


def _land_demo(settings: PlatformSettings) -> list[Path]:
    from orchestration.demo import write_demo

    return write_demo(settings.landing, settings.home / "demo_src")


def cmd_demo(args: argparse.Namespace) -> int:
    landed = _land_demo(get_settings())
    for path in landed:
        print(path)
    print(f"{len(landed)} demo file(s) landed")
    return 0


def create_api_key(settings: PlatformSettings, tenant: str, name: str) -> str:
    """Create a key for a tenant (stored hashed); return the key itself, shown once."""
    from api.keys import create_api_key as _create
    from orchestration.cli_runs import prepare_environment
    from orchestration.core.resources import engine_for

    prepare_environment(settings)
    return _create(engine_for(postgres.render(postgres.warehouse_url(settings))), tenant, name)


def cmd_apikey(args: argparse.Namespace) -> int:
    if _refuse_tenant(args.tenant):
        return 2
    key = create_api_key(get_settings(), args.tenant, args.name)
    print(f"API key for tenant {args.tenant} ({args.name}); it is not stored and will not be shown again:")
    print(key)
    return 0


def _spawn(command: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT, start_new_session=True)


def _stop(children: Sequence[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def cmd_up(args: argparse.Namespace) -> int:
    settings = get_settings()

    def body(console: Console) -> int:
        from orchestration.cli_runs import process

        if args.demo:
            console.say(f"{len(_land_demo(settings))} demo file(s) landed in {settings.landing}")
        outcomes = process(settings, console)  # starts and migrates the database first
        if outcomes:
            summary(console, outcomes)
        failed = sum(o.failed for o in outcomes)
        console.say(f"processed {len(outcomes)} run(s), {failed} failed (see the Dagster UI and /api/v1/dlq)")
        return 0

    reported(settings, "up", args.verbose, body)
    key_file = settings.home / "demo_api_key"
    if not key_file.exists():
        key_file.write_text(create_api_key(settings, "acme", "demo") + "\n", encoding="utf-8")
        key_file.chmod(0o600)
    if not os.environ.get("CALCBRIDGE_API_JWT_SECRET"):
        # The installation's own random secret (mode 0600), made before the API's workers race to create it.
        from api.settings import SECRET_FILE, installation_secret

        installation_secret(settings.home)
        secret_file = settings.home / SECRET_FILE
        print(f"JWT secret: {secret_file} (this installation's own; CALCBRIDGE_API_JWT_SECRET overrides it)")
    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    workspace = str(PROJECT_ROOT / "workspace.yaml")
    children = [
        _spawn(
            [str(bin_dir / "dagster-webserver"), "-h", HOST, "-p", str(args.ui_port), "-w", workspace],
            logs / "webserver.log",
        ),
        _spawn([str(bin_dir / "dagster-daemon"), "run", "-w", workspace], logs / "daemon.log"),
        _spawn(
            [str(bin_dir / "uvicorn"), "api.main:app", "--host", HOST, "--port", str(args.api_port), "--workers", "2"],
            logs / "api.log",
        ),
    ]
    print(f"Dagster UI: http://{HOST}:{args.ui_port}")
    print(f"API:        http://{HOST}:{args.api_port}/docs")
    print(f"logs:       {logs}")
    print(f"demo API key (tenant acme): {key_file.read_text(encoding='utf-8').strip()}")
    print("Ctrl-C stops everything (the database keeps running: `calcbridge db down`).")
    stop = False

    def _handle(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _handle)
    signal.signal(signal.SIGTERM, _handle)
    try:
        while not stop:
            for child in children:
                if child.poll() is not None:
                    print(f"{child.args[0]} exited with {child.returncode}; stopping", file=sys.stderr)
                    stop = True
            time.sleep(0.5)
    finally:
        _stop(children)
    print("stopped")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Re-run a figure's partition from its archived bytes into scratch schemas; 0 identical, 1 not, 2 refused."""
    import json

    from orchestration import reproduce
    from orchestration.core.resources import engine_for

    engine = engine_for(postgres.render(postgres.warehouse_url(get_settings())))
    try:
        figure = reproduce.find(engine, args.kind, args.id, args.tenant)
        outcome = reproduce.reproduce(engine, figure, keep=args.keep)
    except InputError as error:
        return _refuse(error)
    if args.json:
        print(json.dumps(reproduce.as_json(outcome), indent=2, default=str))
    else:
        print("\n".join(outcome.lines()))
    return 0 if outcome.identical else 1


def _verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show Dagster's event stream (and dbt's log) on the terminal instead of the file under logs/",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="calcbridge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="the embedded Postgres (or DATABASE_URL)")
    db.add_argument("action", choices=["up", "down", "status", "url"])
    db.add_argument("--dagster", action="store_true", help="with `url`: Dagster's storage database")
    db.set_defaults(func=cmd_db)

    ingest = sub.add_parser("ingest", help="copy files (and their sidecars) into the landing zone")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--tenant", required=True)
    ingest.add_argument("--domain", required=True, choices=DOMAINS)
    ingest.set_defaults(func=cmd_ingest)

    proc = sub.add_parser("process", help="evaluate the landing sensors once and run what they request")
    proc.add_argument("--settle", type=float, default=0.0, help="skip files younger than this many seconds")
    _verbose(proc)
    proc.set_defaults(func=cmd_process)

    again = sub.add_parser(
        "rerun", help="run file jobs again: some partitions of a domain, or every failed one (--failed)"
    )
    again.add_argument("--domain", choices=DOMAINS, help="the domain of the partitions; with --failed, only it")
    again.add_argument("--tenant", help="with --failed: only this tenant's partitions")
    again.add_argument("--failed", action="store_true", help="every unresolved item of the dead-letter queue")
    again.add_argument("partitions", nargs="*", help="partition keys, as listed by /api/v1/dlq or the UI")
    _verbose(again)
    again.set_defaults(func=cmd_rerun)

    fill = sub.add_parser("backfill", help="run a domain's daily chain over a range of days as one backfill")
    fill.add_argument("domain", choices=["equity"], help="the domain (equity: the XNYS trading-day chain)")
    fill.add_argument("--tenant", required=True)
    fill.add_argument("--portfolio", help="only this portfolio (default: every portfolio of the tenant)")
    fill.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    fill.add_argument("--end", required=True, help="last day, YYYY-MM-DD (inclusive)")
    _verbose(fill)
    fill.set_defaults(func=cmd_backfill)

    demo = sub.add_parser("demo", help="write the bundled deterministic demo files into the landing zone")
    demo.set_defaults(func=cmd_demo)

    apikey = sub.add_parser("apikey", help="API keys")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_sub.add_parser("create", help="create a key bound to one tenant")
    create.add_argument("--tenant", required=True)
    create.add_argument("--name", default="cli")
    create.set_defaults(func=cmd_apikey)

    again_figure = sub.add_parser(
        "reproduce", help="re-run a served figure's partition from its archived bytes and compare, bit for bit"
    )
    again_figure.add_argument("kind", help="holding | compliance_result | variance | covenant_evaluation")
    again_figure.add_argument("id", help="the figure's id as the API serves it (links.provenance)")
    again_figure.add_argument("--tenant", help="only this tenant's figure")
    again_figure.add_argument("--keep", action="store_true", help="keep the scratch schemas to inspect them")
    again_figure.add_argument("--json", action="store_true", help="the report as JSON")
    again_figure.set_defaults(func=cmd_reproduce)

    up = sub.add_parser("up", help="database, optional demo, process, then the Dagster UI + daemon and the API")
    up.add_argument("--demo", action="store_true")
    up.add_argument("--ui-port", type=int, default=3000)
    up.add_argument("--api-port", type=int, default=8000)
    _verbose(up)
    up.set_defaults(func=cmd_up)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
