"""Input is untrusted: nothing in it is executed or reaches a shell, no path from it escapes
the pool, pool file names never come from content, and terminal escapes in it are shown
escaped by the summaries and by ``show``, never replayed.

Inputs: the real Redis and Parsl fixtures with hostile lines and hostile file names added.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

from conftest import FIXTURES, ROOT

from importers.cli import main
from importers.core.identity import host_name
from importers.core.terminal import printable

REDIS = FIXTURES / "redis" / "7.0.15" / "failover-master.log"
RUN = FIXTURES / "parsl" / "2026.10.26" / "runinfo" / "000"
ESC = "\x1b[2J\x1b]0;pwned\x07\x1b[31m"


def test_no_shell_no_eval_no_pickle_in_the_importers() -> None:
    """Static: no call in importers/ can run input as code or through a shell."""
    builtins = {"eval", "exec", "compile", "__import__"}
    modules = {("os", "system"), ("os", "popen"), ("pickle", "load"), ("pickle", "loads"),
               ("marshal", "loads"), ("yaml", "load")}
    for path in (ROOT / "importers").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name):
                    assert func.id not in builtins, f"{path}:{node.lineno} calls {func.id}()"
                elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                    assert (func.value.id, func.attr) not in modules, \
                        f"{path}:{node.lineno} calls {func.value.id}.{func.attr}()"
                for kw in node.keywords:
                    assert not (kw.arg == "shell" and getattr(kw.value, "value", False)), \
                        f"{path}:{node.lineno} uses shell=True"


def _hostile_inputs(tmp_path: Path, marker: Path) -> Path:
    """A directory of real inputs with shell syntax, paths and escapes in lines and names."""
    d = tmp_path / "input"
    d.mkdir()
    lines = REDIS.read_text(encoding="utf-8").splitlines()
    evil = [f"$(touch {marker})", f"`touch {marker}`", f"; touch {marker} #",
            "../../../../etc/passwd", f"name with {ESC} escape"]
    lines[2:2] = [f"{lines[2].split(' * ')[0]} * {e}" for e in evil]
    (d / f"redis {ESC}$(touch {marker.name}).log").write_text("\n".join(lines) + "\n")
    shutil.copytree(RUN, d / "runinfo" / "000")
    with open(d / "runinfo" / "000" / "parsl.log", "a", encoding="utf-8") as fh:
        fh.write(f"2026-11-25 08:45:43.505 parsl.dataflow.dflow:1 MainProcess(1) "
                 f"MainThread-1 INFO: task $(touch {marker}) {ESC} ../../x\n")
    # an Academy-style pool file whose *content* names paths
    pool_like = d / "academy" / "9a9a" / "agent.jsonlog"
    pool_like.parent.mkdir(parents=True)
    pool_like.write_text('{"created": "1.0", "levelname": "INFO", "ev.file": "../../../x",'
                         ' "msg": "../../escape.jsonlog"}\n')
    return d


def test_hostile_input_runs_nothing_and_writes_only_inside_the_pool(tmp_path: Path,
                                                                     capsys) -> None:
    marker = tmp_path / "pwned"
    inputs = _hostile_inputs(tmp_path, marker)
    before = {p for p in tmp_path.rglob("*")}
    out = tmp_path / "pool"
    main(["auto", str(inputs), "--pool", str(out), "--tz", "UTC"])
    [redis_file] = [p for p in inputs.iterdir() if p.name.startswith("redis")]
    main(["redis-log", str(redis_file), "--pool", str(out), "--tz", "UTC"])
    main(["parsl-logs", str(inputs / "runinfo"), "--pool", str(out), "--tz", "UTC"])
    err = capsys.readouterr().err
    assert not marker.exists(), "input was executed"
    created = {p for p in tmp_path.rglob("*")} - before
    assert all(out in p.parents or p == out for p in created), \
        sorted(str(p) for p in created if out not in p.parents)
    name_rule = re.compile(rf"^[a-z][a-z-]*-{re.escape(host_name())}-[0-9a-f]{{12}}\.jsonlog$")
    top = sorted(p.name for p in out.glob("*.jsonlog"))
    assert top and all(name_rule.match(n) for n in top), top
    # the copied pool file sits under copied/<host>/<its real path>, whatever it says
    [copy] = list((out / "copied").rglob("*.jsonlog"))
    assert copy == out / "copied" / host_name() / str(inputs.resolve() / "academy" / "9a9a" /
                                                     "agent.jsonlog").lstrip("/")
    assert "\x1b" not in err and "\x07" not in err
    assert "\\x1b[2J" in err, "the escape is shown, escaped"


def test_show_never_replays_escapes_from_the_pool(tmp_path: Path, capsys) -> None:
    inputs = _hostile_inputs(tmp_path, tmp_path / "pwned")
    out = tmp_path / "pool"
    [redis_file] = [p for p in inputs.iterdir() if p.name.startswith("redis")]
    main(["redis-log", str(redis_file), "--pool", str(out), "--tz", "UTC", "-q"])
    capsys.readouterr()
    assert main(["show", str(out), "--tz", "UTC"]) == 0
    shown = capsys.readouterr().out
    assert "name with \\x1b[2J\\x1b]0;pwned\\x07\\x1b[31m escape" in shown
    assert "\x1b" not in shown and "\x07" not in shown


def test_printable_escapes_controls_bidi_and_keeps_text() -> None:
    assert printable("ok: é 日本") == "ok: é 日本"
    assert printable("a\x1b[31mb\x07\x9b\u202ec\n") == "a\\x1b[31mb\\x07\\x9b\\u202ec\\n"
