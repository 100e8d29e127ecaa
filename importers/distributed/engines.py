"""Run apps on what the user already has: a Parsl executor or config, or local processes.

ev-import does not grow its own scheduler. An engine only needs ``submit(fn, *args)`` that
returns a :class:`concurrent.futures.Future` (Parsl's ``AppFuture`` is one), so the same
import code runs on a ``ProcessPoolExecutor`` on one node, on any ``concurrent.futures``
executor the user hands in, and on a Parsl executor across many nodes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import AbstractContextManager
from multiprocessing import get_context
from typing import Any


class Engine(AbstractContextManager):
    """Submits apps; closes only what it opened itself."""

    label = "engine"

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        raise NotImplementedError

    def __exit__(self, *exc: Any) -> None:
        return None


class Inline(Engine):
    """In this process, one batch after the other (``-j 1``): no start-up at all."""

    label = "inline"

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # reported per batch by the caller, like a remote failure
            future.set_exception(exc)
        return future


class Pooled(Engine):
    """A ``concurrent.futures`` executor: the user's, or local processes we start."""

    def __init__(self, executor: Executor | None = None, jobs: int | None = None) -> None:
        self._owned = executor is None
        # fork: workers inherit the loaded modules (no re-import of __main__, which may be a
        # notebook); the caller has no other threads at this point.
        self.executor = executor or ProcessPoolExecutor(
            max_workers=jobs or os.cpu_count() or 1, mp_context=get_context("fork"))
        self.label = f"{type(self.executor).__name__}"

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        return self.executor.submit(fn, *args, **kwargs)

    def __exit__(self, *exc: Any) -> None:
        if self._owned:
            self.executor.shutdown(wait=True, cancel_futures=True)


class ParslEngine(Engine):
    """Apps on a Parsl executor.

    ``target`` is a Parsl ``Config`` (loaded here into a DataFlowKernel of our own, cleaned
    up at the end), an unstarted executor (wrapped into such a Config, with its run dir in a
    temporary directory so nothing lands in the current one), a ``DataFlowKernel`` the user
    already runs, or None for the one ``parsl.load()`` made. ``executors`` picks labels.
    """

    def __init__(self, target: Any = None, executors: list[str] | str = "all") -> None:
        import parsl
        from parsl.config import Config
        from parsl.dataflow.dflow import DataFlowKernel
        from parsl.executors.base import ParslExecutor

        self._owned = False
        if isinstance(target, DataFlowKernel):
            self.dfk = target
        elif target is None:
            self.dfk = parsl.dfk()
        else:
            if isinstance(target, ParslExecutor):
                target = Config(executors=[target],
                                run_dir=tempfile.mkdtemp(prefix="ev-import-parsl-"))
            if not isinstance(target, Config):
                raise TypeError("a Parsl Config, executor or DataFlowKernel, or a "
                                f"concurrent.futures executor, not {type(target).__name__}")
            self.dfk = DataFlowKernel(target)
            self._owned = True
        self.executors = executors
        self.label = "parsl:" + ",".join(
            label for label in self.dfk.executors if not label.startswith("_parsl"))
        self._apps: dict[Callable, Callable] = {}

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        from parsl import python_app

        app = self._apps.get(fn)
        if app is None:
            app = self._apps[fn] = python_app(fn, data_flow_kernel=self.dfk,
                                              executors=self.executors)
        return app(*args, **kwargs)

    def __exit__(self, *exc: Any) -> None:
        if self._owned:
            self.dfk.cleanup()


def engine_for(executor: Any = None, jobs: int | None = None) -> Engine:
    """The engine for what the caller has: nothing (``jobs`` local processes, or this
    process when ``jobs`` is 1), a ``concurrent.futures`` executor, or anything Parsl."""
    if executor is None:
        return Inline() if (jobs or os.cpu_count() or 1) <= 1 else Pooled(jobs=jobs)
    if isinstance(executor, Executor):
        return Pooled(executor)
    return ParslEngine(executor)
