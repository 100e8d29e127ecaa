"""``plot``: timelines of things, how many at once, their durations (PNG/SVG/offline HTML).

On real fixtures: the demo run (Academy messages against the agent) and the Parsl fixture
(two runs of 8 tasks, one retried, one failing).
"""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES

pytest.importorskip("matplotlib")
pytest.importorskip("plotly")

from importers.analysis import plot  # noqa: E402
from importers.auto import import_paths  # noqa: E402
from importers.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def demo_pool(tmp_path_factory) -> str:
    pool = tmp_path_factory.mktemp("demo")
    import_paths([FIXTURES / "demo"], pool, tz="Europe/Berlin")
    return str(pool)


@pytest.fixture(scope="module")
def parsl_pool(tmp_path_factory) -> str:
    pool = tmp_path_factory.mktemp("parsl")
    import_paths([FIXTURES / "parsl" / "2026.10.26"], pool, tz="UTC")
    return str(pool)


def test_parsl_tasks_by_state_one_bar_per_task(parsl_pool) -> None:
    bars, total = plot.things(parsl_pool, ["parsl.run_id", "parsl.task_id"],
                              color_by="parsl.task_status_name")
    assert total == len(bars) == 16  # two runs of 8 tasks
    for b in bars:
        states = [v for _, _, v in b["segments"]]
        assert states[0] == "pending"
        assert states[-1] in ("exec_done", "failed")
        # segments tile the bar from the first state to the last, in time order
        assert all(s1[1] == pytest.approx(s2[0]) for s1, s2 in
                   zip(b["segments"], b["segments"][1:], strict=False))
    retried = [b for b in bars if [v for *_, v in b["segments"]].count("running") == 2]
    assert retried and all("fail_retryable" in [v for *_, v in b["segments"]]
                           for b in retried)


def test_message_phases_never_go_back(demo_pool) -> None:
    # the client logs "waiting" after the agent logged "execute_start": the derived phase
    # keeps the lifecycle order instead of flipping back to "request in flight"
    bars, total = plot.things(demo_pool, ["academy.action_tag"],
                              color_by="academy.message_phase")
    assert total == 16
    for b in bars:
        phases = [v for *_, v in b["segments"]]
        assert phases == ["request in flight", "executing", "response in flight",
                          "received"], phases


def test_agent_timeline_launching_then_running(demo_pool) -> None:
    [agent], _ = plot.things(demo_pool, ["academy.agent_id"],
                             color_by="academy.agent_state")
    phases = list(dict.fromkeys(v for *_, v in agent["segments"]))
    assert phases == ["launching", "starting", "running", "shutting down", "stopped"]


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_the_talks_plots_one_command_each(demo_pool, parsl_pool, tmp_path, capsys) -> None:
    out = tmp_path / "messages.png"
    assert main(["plot", demo_pool, "--preset", "academy-messages", "--out", str(out)]) == 0
    w, h = _png_size(out)
    assert w > 800 and h > 400
    assert "16 bars" in capsys.readouterr().err
    out = tmp_path / "tasks.svg"
    assert main(["plot", parsl_pool, "--preset", "parsl-tasks", "--out", str(out)]) == 0
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") and "Parsl task lifetimes by state" in svg


def test_html_opens_offline(demo_pool, tmp_path) -> None:
    out = tmp_path / "messages.html"
    res = plot.timeline(demo_pool, ["academy.action_tag"], color_by="academy.message_phase",
                        against=["academy.agent_id"], breakdown=True, out=out)
    assert res["things"] == 16 and len(res["panels"]) == 3
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text)  # nothing fetched from a CDN
    assert "plotly.js" in text and len(text) > 1_000_000  # the library is inside
    assert "request in flight" in text


def test_concurrency_and_histogram(parsl_pool, demo_pool, tmp_path) -> None:
    res = plot.concurrency(demo_pool, ["academy.agent_id"], out=tmp_path / "agents.png")
    assert res["max"] == 1
    res = plot.concurrency(parsl_pool, ["parsl.run_id", "parsl.task_id"],
                           out=tmp_path / "tasks.html")
    assert 1 < res["max"] <= 8  # the runs did not overlap; each had 8 tasks
    res = plot.histogram(parsl_pool, ["parsl.run_id", "parsl.task_id"],
                         out=tmp_path / "durations.png")
    assert res["count"] == 16
    _png_size(tmp_path / "durations.png")


def test_bad_output_and_unknown_key_are_one_line(demo_pool, tmp_path, capsys) -> None:
    assert main(["plot", demo_pool, "--thing", "academy.action_tag",
                 "--out", str(tmp_path / "x.gif")]) == 2
    assert "must end in .png, .svg or .html" in capsys.readouterr().err
    assert main(["plot", demo_pool, "--thing", "no.such_key",
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "no event in the pool has the key 'no.such_key'" in capsys.readouterr().err
