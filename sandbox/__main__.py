"""`python -m sandbox`: run the sandbox until SIGTERM or SIGINT.

Prints the base URL on start. `--demo` creates the accounts `manage.py seed_demo` gives
credentials to; `--accounts FILE` loads ``{"wechat": [{appid, secret, ...}], "weibo": [{uid, ...}]}``
(the same fields as the control API).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from .accounts import upsert_wechat_account, upsert_weibo_account
from .demo import seed
from .server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--public-url", help="base URL for article and picture links (default: the bound address)")
    parser.add_argument("--demo", action="store_true", help="create the seed_demo accounts")
    parser.add_argument("--callback-url", help="PUBLISHJOBFINISH receiver for the demo WeChat accounts")
    parser.add_argument("--callback-token", help="token the demo callbacks are signed with")
    parser.add_argument("--accounts", type=Path, help="JSON file of accounts to create")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    server = SandboxServer(args.host, args.port, public_url=args.public_url, verbose=args.verbose)
    if args.demo:
        seed(server.sandbox, callback_url=args.callback_url, callback_token=args.callback_token)
    if args.accounts:
        config = json.loads(args.accounts.read_text(encoding="utf-8"))
        for spec in config.get("wechat", []):
            upsert_wechat_account(server.sandbox, spec)
        for spec in config.get("weibo", []):
            upsert_weibo_account(server.sandbox, spec)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server.start()
    except OSError as exc:
        print(f"govcms sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"govcms platform sandbox: {server.base_url}  (accounts: {server.base_url}/_sandbox/)", flush=True)
    stop.wait()
    server.stop()
    print("govcms platform sandbox: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
