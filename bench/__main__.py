"""`python -m bench`: every benchmark of the project, one after the other."""

from __future__ import annotations

from bench import lambda_handlers, load


def main() -> None:
    print("== Lambda handler: this app against Powertools and Flask ==")
    lambda_handlers.main()
    print()
    print("== ops load against the app on this machine: uvicorn and the Lambda handler ==")
    load.main([])
    try:
        from bench import image
    except ImportError:  # the image benchmark arrives with the Dockerfile work
        return
    print()
    print("== Image runtime closure ==")
    image.main()
    from bench import imports

    print()
    print("== Lambda import path, by package ==")
    imports.main()


if __name__ == "__main__":
    main()
