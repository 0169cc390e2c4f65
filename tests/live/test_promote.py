"""tools/promote.py on copies of live/: the pins move and nothing else does; each refusal is one line,
exit status 1, and leaves every file as it was."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from shared import terragrunt as tg
from tests.live.conftest import ROOT, copy_tree
from tools import promote

DEV_IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/lambda-api-dev@sha256:" + "ab" * 32
NEWER_IMAGE = DEV_IMAGE.replace("ab", "cd")


@pytest.fixture
def live(tmp_path: Path) -> Path:
    return Path(shutil.copytree(ROOT / "live", tmp_path / "live"))


def files(live: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(live)): path.read_bytes() for path in sorted(live.rglob("*")) if path.is_file()
    }


def run(live: Path, *argv: str) -> int:
    return promote.main(["--live-dir", str(live), *argv])


def pinned(text: str, image: str, version: str) -> str:
    """`text` with its two pin lines, and only them, holding image and version."""
    return text.replace('  image_uri   = ""', f'  image_uri   = "{image}"').replace(
        '  app_version = ""', f'  app_version = "{version}"'
    )


def test_pin_then_promote_moves_exactly_the_pins(live: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = files(live)

    assert run(live, "--pin", "dev", "--image", DEV_IMAGE, "--app-version", "1.4.0") == 0
    pinned_dev = (live / "dev/env.hcl").read_text()
    assert pinned_dev == pinned(before["dev/env.hcl"].decode(), DEV_IMAGE, "1.4.0")
    capsys.readouterr()

    assert run(live, "--from", "dev", "--to", "prod") == 0
    after = files(live)
    assert after["prod/env.hcl"].decode() == pinned(before["prod/env.hcl"].decode(), DEV_IMAGE, "1.4.0")
    assert after["dev/env.hcl"].decode() == pinned_dev  # the source is read, never written
    unchanged = {name for name in before if name not in ("dev/env.hcl", "prod/env.hcl")}
    assert {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}
    assert set(after) == set(before)  # no file added (no temporary left behind) or removed

    diff = capsys.readouterr().out.splitlines()
    assert diff[:2] == ["--- a/live/prod/env.hcl", "+++ b/live/prod/env.hcl"]
    changed = [line for line in diff if line[:1] in "+-" and not line.startswith(("---", "+++"))]
    assert changed == [
        '-  image_uri   = ""',
        '-  app_version = ""',
        f'+  image_uri   = "{DEV_IMAGE}"',
        '+  app_version = "1.4.0"',
    ]


def test_promoting_again_changes_nothing(live: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(live, "--pin", "dev", "--image", DEV_IMAGE, "--app-version", "1.4.0")
    run(live, "--from", "dev", "--to", "prod")
    before = files(live)
    capsys.readouterr()
    assert run(live, "--from", "dev", "--to", "prod") == 0
    assert files(live) == before
    assert capsys.readouterr().out == "live/prod/env.hcl already holds these pins: nothing changed\n"


def test_a_new_pin_without_version_clears_the_old_version(live: Path) -> None:
    run(live, "--pin", "dev", "--image", DEV_IMAGE, "--app-version", "1.4.0")
    assert run(live, "--pin", "dev", "--image", NEWER_IMAGE) == 0
    text = (live / "dev/env.hcl").read_text()
    assert f'  image_uri   = "{NEWER_IMAGE}"' in text
    assert '  app_version = ""' in text  # the lambda module derives it from the new digest


@pytest.mark.terraform
def test_a_promoted_pin_is_what_the_prod_function_runs(tmp_path: Path, tf_env: dict[str, str]) -> None:
    root = copy_tree(tmp_path / "tree")
    live = root / "live"
    run(live, "--pin", "dev", "--image", DEV_IMAGE, "--app-version", "1.4.0")
    run(live, "--from", "dev", "--to", "prod")
    fmt = subprocess.run(
        ["terraform", "fmt", "-"],
        input=(live / "prod/env.hcl").read_text(),
        env=tf_env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert fmt.stdout == (live / "prod/env.hcl").read_text()  # still formatted
    unit = root.resolve() / "live/prod/lambda"
    inputs = tg.evaluate(root, [unit], tf_env, tmp_path / "eval", env={})[unit].value["inputs"]
    assert (inputs["image_uri"], inputs["app_version"]) == (DEV_IMAGE, "1.4.0")


def edit(path: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(live: Path) -> None:
        target = live / path
        text = target.read_text()
        assert text.count(old) == 1, f"{path} must hold {old!r} once"
        target.write_text(text.replace(old, new))

    return apply


def pin_dev(image: str) -> Callable[[Path], None]:
    return edit("dev/env.hcl", '  image_uri   = ""', f'  image_uri   = "{image}"')


def nothing(_live: Path) -> None:
    pass


REFUSALS = [
    pytest.param(nothing, ["--from", "dev", "--to", "prod"], "dev has no pinned image", id="nothing-pinned"),
    pytest.param(
        pin_dev(DEV_IMAGE.split("@")[0] + ":1.4.0"),
        ["--from", "dev", "--to", "prod"],
        "is not an ECR image by digest",
        id="pinned-by-tag",
    ),
    pytest.param(
        pin_dev(DEV_IMAGE.replace("ab" * 32, "0" * 64)),
        ["--from", "dev", "--to", "prod"],
        "is a placeholder digest",
        id="placeholder-digest",
    ),
    pytest.param(
        pin_dev(DEV_IMAGE), ["--from", "dev", "--to", "staging"], "no environment 'staging'", id="no-target"
    ),
    pytest.param(nothing, ["--from", "qa", "--to", "prod"], "no environment 'qa'", id="no-source"),
    pytest.param(nothing, ["--from", "dev", "--to", "dev"], "--from and --to are both 'dev'", id="same-env"),
    pytest.param(
        nothing, ["--from", "../dev", "--to", "prod"], "'../dev' is not an environment name", id="path"
    ),
    pytest.param(nothing, ["--from", "dev"], "name both environments", id="no-target-named"),
    pytest.param(nothing, ["--from", "", "--to", ""], "name both environments", id="make-without-values"),
    pytest.param(
        lambda live: (pin_dev(DEV_IMAGE)(live), edit("prod/env.hcl", '"us-east-1"', '"eu-west-1"')(live)),
        ["--from", "dev", "--to", "prod"],
        "the image is in us-east-1 but prod runs in eu-west-1",
        id="other-region",
    ),
    pytest.param(
        lambda live: (pin_dev(DEV_IMAGE)(live), edit("dev/env.hcl", '["222222222222"]', "[]")(live)),
        ["--from", "dev", "--to", "prod"],
        "prod's account 222222222222 may not pull from dev's repository",
        id="pull-not-allowed",
    ),
    pytest.param(
        edit("prod/env.hcl", '  app_version = ""\n', ""),
        ["--pin", "prod", "--image", DEV_IMAGE],
        "live/prod/env.hcl must set app_version in its locals",
        id="pin-line-missing",
    ),
    pytest.param(
        edit("prod/env.hcl", "locals {", "locals {{"),
        ["--pin", "prod", "--image", DEV_IMAGE],
        "env.hcl does not parse",
        id="env-does-not-parse",
    ),
    pytest.param(
        nothing,
        ["--pin", "dev", "--image", "lambda-api:latest"],
        "--image: 'lambda-api:latest'",
        id="bad-image",
    ),
    pytest.param(nothing, ["--pin", "dev"], "--pin dev needs --image", id="no-image"),
    pytest.param(
        nothing,
        ["--pin", "dev", "--memory-size", "64"],
        "--memory-size 64 is outside the 128-10240 MB",
        id="memory-too-small",
    ),
    pytest.param(
        nothing,
        ["--pin", "dev", "--memory-size", "10241"],
        "--memory-size 10241 is outside the 128-10240 MB",
        id="memory-too-large",
    ),
    pytest.param(
        nothing,
        ["--pin", "dev", "--image", DEV_IMAGE, "--memory-size", "100"],
        "--memory-size 100 is outside",
        id="memory-refused-image-not-written",
    ),
    pytest.param(
        edit("dev/env.hcl", "  lambda_memory_size          = 512\n", ""),
        ["--pin", "dev", "--image", DEV_IMAGE, "--memory-size", "1024"],
        "must set lambda_memory_size in its locals once",
        id="no-memory-line",
    ),
    pytest.param(
        nothing,
        ["--pin", "dev", "--image", DEV_IMAGE, "--app-version", 'x"; evil = "1'],
        "--app-version 'x\"; evil = \"1' must be",
        id="bad-version",
    ),
]


@pytest.mark.parametrize(("prepare", "argv", "message"), REFUSALS)
def test_refusals_are_one_line_and_change_nothing(
    live: Path,
    capsys: pytest.CaptureFixture[str],
    prepare: Callable[[Path], None],
    argv: list[str],
    message: str,
) -> None:
    prepare(live)
    before = files(live)
    assert run(live, *argv) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("promote: ")
    assert message in err
    assert files(live) == before


def test_the_command_line_as_make_runs_it(live: Path) -> None:
    """`make promote`/`make pin` run `python -m tools.promote`: no traceback, one line on refusal."""

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "tools.promote", "--live-dir", str(live), *argv]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)

    refused = cli("--from", "dev", "--to", "prod")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.startswith("promote: dev has no pinned image")
    assert refused.stderr.count("\n") == 1

    assert cli("--pin", "dev", "--image", DEV_IMAGE, "--app-version", "1.4.0").returncode == 0
    promoted = cli("--from", "dev", "--to", "prod")
    assert promoted.returncode == 0, promoted.stderr
    assert f'+  image_uri   = "{DEV_IMAGE}"' in promoted.stdout

    usage = cli("--from", "dev", "--to", "prod", "--image", DEV_IMAGE)
    assert usage.returncode == 2
    assert usage.stderr.count("\n") == 1
    assert "Traceback" not in refused.stderr + promoted.stderr + usage.stderr


def test_pin_memory_size_changes_that_line_only(live: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = files(live)
    assert run(live, "--pin", "dev", "--memory-size", "1024") == 0
    after = files(live)
    assert after["dev/env.hcl"].decode() == before["dev/env.hcl"].decode().replace(
        "  lambda_memory_size          = 512\n", "  lambda_memory_size          = 1024\n"
    )
    assert {k: v for k, v in after.items() if k != "dev/env.hcl"} == {
        k: v for k, v in before.items() if k != "dev/env.hcl"
    }
    changed = [line for line in capsys.readouterr().out.splitlines() if line[:1] in "+-"]
    assert changed == [
        "--- a/live/dev/env.hcl",
        "+++ b/live/dev/env.hcl",
        "-  lambda_memory_size          = 512",
        "+  lambda_memory_size          = 1024",
    ]
    # An image and a memory size in one go, as `make pin ENV=dev IMAGE=... MEMORY=...` passes them.
    assert run(live, "--pin", "dev", "--image", DEV_IMAGE, "--memory-size", "256") == 0
    text = (live / "dev/env.hcl").read_text()
    assert f'image_uri   = "{DEV_IMAGE}"' in text
    assert "  lambda_memory_size          = 256\n" in text
