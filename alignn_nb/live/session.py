"""The live rebuild engine behind the dashboard: recompute only what a change touches.

A `LiveSession` watches a model config, a graph config, a structure and a dataset. Each
stage has a key built from exactly the inputs it reads:

- **graph**: the structure's content (its `alignn_nb.graphs.build.fingerprint`) and the graph
  options (the line-graph fields inner_cutoff, lighten_edges and backtracking reuse the
  cached neighbour search);
- **model**: the fields that shape alignn's model (plus ``link``, chosen at construction)
  and the seed; a trained model is kept until one of them changes;
- **forward**: the model, the graphs and the forward-pass fields;
- **loss**: the model, the dataset's content (`Dataset.fingerprint`), the graph options
  and the forward-pass fields; a change of loss weights alone re-weights the last terms
  without a forward pass.

Keys hold content or the objects themselves, never an ``id()``: a new object may be given
the address of a freed one.

Work runs on one worker thread. Requests made while it runs coalesce into one more round
with the newest inputs, so the published `LiveResult` is always that of the last config.
An exception in a stage is recorded with its message; the last good artifacts stay.

Observers of the session's traits run with no lock held, so a slow view delays only the
next round, never the thread that edits the config. An observer that raises is logged
and reported in `LiveSession.publish_error`; the engine carries on with the next request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

import torch
from traitlets import Bool, HasTraits, Instance, Unicode

from alignn_nb.compute import start_worker
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig, shape_changes
from alignn_nb.live.stages import STAGES, LiveResult, StageError, _Inputs, _Same

log = logging.getLogger(__name__)
IDLE_SECONDS = 60.0
"""The worker thread waits this long for the next request before it ends. Keeping it
alive keeps torch's per-thread setup (its OpenMP team, autograd state) warm: a forward
pass on a fresh thread costs tens of milliseconds more."""


class LiveSession(HasTraits):
    """Keeps graphs, model, prediction and loss terms up to date with a config, off-thread.

    Work runs on one worker thread with ``threads`` torch threads (default: the calling
    thread's count; torch's thread count is per thread). Set the inputs (`config` and
    `graph` are edited in place; `atoms`, `label` and
    `dataset` are replaced), call `request()` (it returns at once), and observe `result`,
    which every round replaces in one assignment. `wait()` blocks until the published
    result is that of the latest request and its observers have run. Observers run on the
    worker thread with no lock held; one that raises is logged and named in
    `publish_error`, and never stops the engine.

    ``stages`` limits the work to the first stages of graph → model → forward → loss:
    ``("graph",)`` keeps only the graphs up to date (a graph explorer needs no model), and
    the result's model, summary, prediction and losses stay None.
    """

    result = Instance(LiveResult, allow_none=True, help="The last published round.")
    stale = Bool(False, help="True while a requested round has not been published yet.")
    running = Unicode("", help="The stage being computed now, or empty.")
    publish_error = Unicode(
        "",
        help="What an observer of result raised while the last round was published (the "
        "traceback is logged), or empty.",
    )

    def __init__(
        self,
        config: ALIGNNAtomWiseConfig,
        graph: GraphConfig,
        atoms: Any,
        label: str = "structure",
        dataset: Any = None,
        seed: int = 0,
        threads: int | None = None,
        stages: tuple[str, ...] = STAGES,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.stages = _checked_stages(stages)
        self.threads = threads or torch.get_num_threads()
        self.config, self.graph = config, graph
        self.atoms, self.label, self.dataset, self.seed = atoms, label, dataset, seed
        self._wake = threading.Condition()
        self._stale_lock = threading.Lock()
        self._generation = 0
        self._published = 0
        self._settled = 0
        self._keys: dict[str, tuple] = {}
        self._artifacts: dict[str, Any] = dict.fromkeys(STAGES)
        self._adopted: tuple[tuple, torch.nn.Module] | None = None
        self._adoption = 0
        self._worker: threading.Thread | None = None
        self._closed = False
        self._exiting = False
        self._applied: tuple | None = None
        self._counted: tuple | None = None

    def request(self) -> None:
        """Note that some input changed; a round starts as soon as the worker is free.

        It returns at once: it never waits for a round or for the observers of one.
        """
        with self._wake:
            self._generation += 1
            self._wake.notify_all()
            if self._worker is None:
                self._worker = start_worker(self._loop, "alignn-nb-live", self._exit)
        self._sync_stale()

    def wait(self, timeout: float | None = 300.0) -> LiveResult | None:
        """Block until the published result reflects the latest request and its observers
        have run.

        Raises:
            TimeoutError: when that takes longer than ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._wake:
            while self._settled < self._generation:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"the live session took longer than {timeout} s")
                self._wake.wait(left)
        return self.result

    def compute_now(self) -> LiveResult | None:
        """Request a round and wait for it (for scripts and tests)."""
        self.request()
        return self.wait()

    def adopt_model(
        self, model: torch.nn.Module, config: ALIGNNAtomWiseConfig | None = None
    ) -> None:
        """Use ``model`` (e.g. after training) until a field that shapes the model changes.

        Args:
            config: the config ``model`` was built or trained for; None: the current one.

        Raises:
            ValueError: naming the fields that shape the model in which ``config`` and the
                current config differ; nothing is adopted then.
        """
        with self._wake:
            current = self._snapshot()
            changes = [] if config is None else shape_changes(config, current.config)
            if changes:
                raise ValueError(f"the model's shape no longer matches ({', '.join(changes)})")
            self._adoption += 1
            self._adopted = (current.shape_key(), model)
        self.request()

    def close(self) -> None:
        """Let the worker thread end now instead of after `IDLE_SECONDS` without requests."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker thread to end (after `close`, or `IDLE_SECONDS` without a
        request); True once no worker thread is left."""
        with self._wake:
            worker = self._worker
        if worker is not None:
            worker.join(timeout)
        with self._wake:
            return self._worker is None

    def _exit(self) -> None:
        """Called when the interpreter exits: finish the current round, start no other."""
        with self._wake:
            self._closed = self._exiting = True
            self._wake.notify_all()

    def _loop(self) -> None:
        torch.set_num_threads(self.threads)
        while (job := self._next_job()) is not None:
            generation, inputs = job
            self._publish(self._guarded_round(inputs), generation)

    def _next_job(self) -> tuple[int, _Inputs] | None:
        """The newest generation and a snapshot of its inputs; None when the worker ends."""
        with self._wake:
            if self._published >= self._generation and not self._closed:
                self._wake.wait(IDLE_SECONDS)
            if self._published >= self._generation or self._exiting:
                self._worker = None
                return None
            return self._generation, self._snapshot()

    def _guarded_round(self, inputs: _Inputs) -> LiveResult:
        """`_round`, which records a failing stage itself; anything else it raises is a
        bug, logged and published as an error so that the worker lives on."""
        try:
            return self._round(inputs)
        except Exception as failure:
            log.exception("a live round failed outside its stages")
            return self._failed(inputs, StageError("round", _describe(failure)), [], {})

    def _publish(self, result: LiveResult, generation: int) -> None:
        """Hand ``result`` to the observers (no lock held), then release `wait()`."""
        problem = self._set("result", result)
        self._set("publish_error", problem)
        with self._wake:
            self._published = generation
        self._sync_stale()
        with self._wake:
            self._settled = generation
            self._wake.notify_all()

    def _set(self, name: str, value: Any) -> str:
        """Set trait ``name``; what an observer raises is logged and described, not raised."""
        try:
            setattr(self, name, value)
        except Exception as failure:
            log.exception("an observer of LiveSession.%s raised", name)
            return f"an observer of {name} raised {type(failure).__name__}: {failure}"
        return ""

    def _sync_stale(self) -> None:
        """Make `stale` say whether a requested round is unpublished, without waiting.

        The thread holding ``_stale_lock`` sets the trait (its observers run then, with no
        other lock held). A thread that finds the lock taken leaves the work to the holder,
        which checks again once it has let go, so the last check sees the last change.
        """
        while self._stale_lock.acquire(blocking=False):
            try:
                pending = self._pending()
                if self.stale != pending:
                    self._set("stale", pending)
            finally:
                self._stale_lock.release()
            if self.stale == self._pending():
                return

    def _pending(self) -> bool:
        with self._wake:
            return self._published < self._generation

    def _snapshot(self) -> _Inputs:
        return _Inputs(
            config=self.config.copy(),
            graph=self.graph.copy(),
            atoms=self.atoms,
            label=self.label,
            dataset=self.dataset,
            seed=self.seed,
            adoption=self._adoption,
        )

    def _round(self, inputs: _Inputs) -> LiveResult:
        """Run the stale stages in order; on an error keep the last good result."""
        ran: list[str] = []
        seconds: dict[str, float] = {}
        for stage in self.stages:
            key = inputs.key(stage)
            if self._keys.get(stage) == key:
                continue
            if stage == "loss" and inputs.dataset is None:
                self._artifacts["loss"], self._keys["loss"] = None, key
                continue
            self._set("running", stage)
            start = time.perf_counter()
            try:
                self._artifacts[stage] = _RUNNERS[stage](self, inputs)
            except Exception as failure:  # shown in the dashboard, never raised into it
                self._keys.pop(stage, None)
                self._set("running", "")
                return self._failed(inputs, StageError(stage, _describe(failure)), ran, seconds)
            self._keys[stage] = key
            seconds[stage] = time.perf_counter() - start
            ran.append(stage)
        self._set("running", "")
        losses = self._reweighted(inputs, ran, seconds)
        return self._published_result(inputs, losses, ran, seconds)

    def _failed(self, inputs: _Inputs, error: StageError, ran: list, seconds: dict):
        previous = self.result or LiveResult(config={}, graph={}, structure=inputs.label)
        return replace(previous, ran=tuple(ran), seconds=dict(seconds), error=error)

    def _reweighted(self, inputs: _Inputs, ran: list[str], seconds: dict) -> Any:
        losses = self._artifacts["loss"]
        if losses is None:
            return None
        from alignn_nb.loss import reweight

        start = time.perf_counter()
        losses = reweight(losses, inputs.config)
        if "loss" not in ran:
            ran.append("reweight")
            seconds["reweight"] = time.perf_counter() - start
        return losses

    def _summary(self, model: torch.nn.Module) -> Any:
        """The parameter counts of ``model``, counted once per model."""
        from alignn_nb.model import model_summary

        if self._counted is None or self._counted[0] is not model:
            self._counted = (model, model_summary(model))
        return self._counted[1]

    def _published_result(self, inputs, losses, ran, seconds) -> LiveResult:
        model = self._artifacts["model"]
        return LiveResult(
            config=inputs.config.to_dict(),
            graph=inputs.graph.to_dict(),
            structure=inputs.label,
            graphs=self._artifacts["graph"],
            model=model,
            summary=None if model is None else self._summary(model),
            prediction=self._artifacts["forward"],
            losses=losses,
            ran=tuple(ran),
            seconds=seconds,
        )


def _checked_stages(stages: tuple[str, ...]) -> tuple[str, ...]:
    """``stages`` if it is a non-empty prefix of `STAGES` (each stage reads the ones before).

    Raises:
        ValueError: naming the stages allowed.
    """
    stages = tuple(stages)
    if not stages or stages != STAGES[: len(stages)]:
        choices = ", ".join(str(STAGES[:n]) for n in range(1, len(STAGES) + 1))
        raise ValueError(f"stages must be one of {choices}; got {stages}")
    return stages


def _describe(failure: Exception) -> str:
    text = str(failure).strip() or type(failure).__name__
    return f"{type(failure).__name__}: {text}" if isinstance(failure, RuntimeError) else text


def _run_graph(session: LiveSession, inputs: _Inputs) -> Any:
    from alignn_nb.graphs import build_graphs

    return build_graphs(inputs.atoms, inputs.config, inputs.graph)


def _run_model(session: LiveSession, inputs: _Inputs) -> torch.nn.Module:
    from alignn_nb.model import build_model

    if session._adopted is not None and session._adopted[0] == inputs.shape_key():
        return session._adopted[1]
    session._adopted = None
    return build_model(inputs.config, seed=inputs.seed)


def _run_forward(session: LiveSession, inputs: _Inputs) -> Any:
    from alignn_nb.model import predict, reconfigure

    model = session._artifacts["model"]
    applied = (_Same(model), inputs.key("forward")[2])
    if session._applied != applied:
        reconfigure(model, inputs.config)
        session._applied = applied
    return predict(model, session._artifacts["graph"])


def _run_loss(session: LiveSession, inputs: _Inputs) -> Any:
    from alignn_nb.loss import loss_terms

    return loss_terms(session._artifacts["model"], inputs.dataset, inputs.config, inputs.graph)


_RUNNERS = {"graph": _run_graph, "model": _run_model, "forward": _run_forward, "loss": _run_loss}
