"""`python -m app`: serve the API locally with uvicorn."""

from __future__ import annotations

import argparse

import uvicorn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description="Serve the API with uvicorn.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default: 8000)")
    args = parser.parse_args(argv)

    from app.main import app, settings  # after argument errors, so `--help` stays instant

    # log_config=None keeps uvicorn on the app's logging pipeline; the app writes its own access line.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
