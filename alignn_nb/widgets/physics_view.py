"""`PhysicsView`: the physics checks of a trained run (`alignn_nb.checks`), drawn from a Job.

Check makes the job with `alignn_nb.checks.planned_check_job` (it loads the run and its
data on its own thread; with a `scheduler` the checks run on that Dask cluster, else in
this kernel) and hands it to `job`; the view only observes the job and draws: its progress
bar, its message, each check's result as it arrives (a ``"check"`` event), and at the end
its `CheckReport`. Stop asks the job to stop. Per structure it draws the verdicts, the four
plots (`alignn_nb.viz.physics`) and the relaxed structure in 3D (`AtomsView`).

The job's observers run on its driver thread: drawing holds the view's lock, and
`resync_on_display` sends the newest state again to a page that draws the view meanwhile.
"""

from __future__ import annotations

import functools
import html
import threading
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
from traitlets import Bool, Instance, Int, List, TraitError, Unicode, observe, validate

from alignn_nb.checks import (
    CHECK_NAMES,
    CHECKS,
    CheckReport,
    CheckResult,
    CheckSettings,
    atoms_from_json,
)
from alignn_nb.compute import Job
from alignn_nb.viz import VERDICT_COLORS, figure_png, physics_plot
from alignn_nb.widgets._picture import Picture
from alignn_nb.widgets._resync import resync_on_display
from alignn_nb.widgets.atoms_view import AtomsView

HINT = "Press Check to run the physics checks of this run (the example run takes about a minute)."
PLOTS_CLASS = "alignn-nb-physics-plots"
"""The CSS class of the box holding the four plots; each plot has ``alignn-nb-physics-CHECK``."""
VIEW_CLASS = "alignn-nb-physics"
"""The CSS class of the whole view."""
FINISHED = ("done", "failed", "stopped")


def verdicts_html(results: Mapping[str, CheckResult]) -> str:
    """One table row per check: its name, verdict (in colour) and reason, escaped."""
    rows = "".join(
        f"<tr><td>{html.escape(r.name)}</td>"
        f"<td style='color:{VERDICT_COLORS[r.verdict]};font-weight:bold'>{r.verdict}</td>"
        f"<td>{html.escape(r.reason)}</td></tr>"
        for c in CHECKS
        if (r := results.get(c)) is not None
    )
    return f"<table class='alignn-nb-verdicts' style='font-size:12px'>{rows}</table>"


class PhysicsView(widgets.VBox):
    """Settings, Check and Stop, a progress bar, the structure picker, the verdicts, the
    four plots and the relaxed structure of the job in `job`.

    Its children, for scripts and tests to read: ``md_steps_input``, ``check_boxes``,
    ``check_button``, ``stop_button``, ``progress``, ``structure_dropdown``,
    ``verdicts``, ``pictures`` (the four plots by check) and ``atoms_view``.
    """

    folder = Unicode("", help="alignn's output folder (config.json and the weights).")
    data = Unicode("", help="The run's structures: id_prop.json, its folder or extxyz.")
    weights = Unicode("", help="The weights file; empty: best_model.pt.")
    scheduler = Unicode("", help="A Dask scheduler (tcp://HOST:PORT); empty: in this kernel.")
    md_steps = Int(500, min=5, help="MD steps of 1 fs.")
    checks = List(Unicode(), default_value=list(CHECKS), help="Which checks Check runs.")
    job = Instance(Job, allow_none=True, help="The checks' job on display, or None.")
    report = Instance(CheckReport, allow_none=True, help="The finished checks, or None.")
    selected = Unicode("", help="The id of the structure on display, or empty.")
    busy = Bool(False, help="True while the job runs.")
    error = Unicode("", help="Why the last checks could not run, or empty.")

    def __init__(self, **kwargs: Any) -> None:
        self.md_steps_input = widgets.BoundedIntText(
            value=500, min=5, max=100_000, description="MD steps"
        )
        self.check_boxes = {c: widgets.Checkbox(value=True, description=c) for c in CHECKS}
        self.check_button = widgets.Button(description="Check", button_style="primary")
        self.stop_button = widgets.Button(description="Stop", disabled=True)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="checks")
        self._message = widgets.HTML(html.escape(HINT))
        self.structure_dropdown = widgets.Dropdown(options=[], description="structure")
        self.verdicts = widgets.HTML()
        self.pictures = {c: Picture(max_width="560px") for c in CHECKS}
        for name, picture in self.pictures.items():
            picture.add_class(f"alignn-nb-physics-{name}")
        self.atoms_view = AtomsView(layout=widgets.Layout(width="560px"))
        plots = widgets.Box(
            [*self.pictures.values(), self.atoms_view],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        plots.add_class(PLOTS_CLASS)
        settings = [self.md_steps_input, *self.check_boxes.values()]
        super().__init__(
            children=[
                widgets.HTML("<b>Physics</b>: is this run's force field physical?"),
                widgets.HBox([*settings, self.check_button, self.stop_button]),
                self.progress,
                self._message,
                self.structure_dropdown,
                self.verdicts,
                plots,
            ],
            **kwargs,
        )
        self.add_class(VIEW_CLASS)
        self._lock = threading.RLock()
        self._partial: dict[str, dict[str, CheckResult]] = {}
        self._pngs: dict[tuple[str, str], tuple[CheckResult, bytes]] = {}
        self._final: dict[str, Any] | None = None
        self._settings = CheckSettings()
        widgets.link((self.md_steps_input, "value"), (self, "md_steps"))
        for box in self.check_boxes.values():
            box.observe(self._on_box_changed, "value")
        self.structure_dropdown.observe(self._on_structure_picked, "value")
        self.check_button.on_click(lambda _: self.check())
        self.stop_button.on_click(lambda _: self.stop())
        resync_on_display(self, self._lock)

    @validate("checks")
    def _validate_checks(self, proposal: dict) -> list[str]:
        unknown = [c for c in proposal["value"] if c not in CHECKS]
        if unknown:
            raise TraitError(f"unknown checks {', '.join(unknown)}; choose from {CHECKS}")
        return [c for c in CHECKS if c in proposal["value"]]

    @validate("selected")
    def _validate_selected(self, proposal: dict) -> str:
        if proposal["value"] and proposal["value"] not in self._structures():
            raise TraitError(f"no structure {proposal['value']!r} in these checks")
        return proposal["value"]

    @observe("checks")
    def _on_checks_changed(self, change: dict) -> None:
        for name, box in self.check_boxes.items():
            box.value = name in change["new"]

    @observe("job")
    def _on_job_changed(self, change: dict) -> None:
        names = ["progress", "message", "event", "state"]
        if change["old"] is not None:
            change["old"].unobserve(self._on_job_trait, names=names)
        job = change["new"]
        with self._lock:
            self._partial, self._pngs = {}, {}
            self.report, self.error = None, ""
            self._show_structures()
        if job is not None:
            self._set_busy(job.state not in FINISHED)
            job.observe(self._on_job_trait, names=names)

    @observe("report")
    def _on_report_changed(self, change: dict) -> None:
        with self._lock:
            self._show_structures()

    @observe("selected")
    def _on_selected_changed(self, change: dict) -> None:
        with self._lock:
            self.structure_dropdown.value = change["new"] or None
            self._draw()

    def _on_box_changed(self, change: dict) -> None:
        self.checks = [name for name, box in self.check_boxes.items() if box.value]

    def _on_structure_picked(self, change: dict) -> None:
        self.selected = change["new"] or ""

    def _on_job_trait(self, change: dict) -> None:
        job: Job = change["owner"]
        name, new = change["name"], change["new"]
        with self._lock:
            if job is not self.job:
                return
            if name == "progress":
                self.progress.max, self.progress.value = max(new.total or 1, 1), new.done
            elif name == "message":
                self._message.value = html.escape(new)
            elif name == "event" and new is not None and new.kind == "check":
                self._add_result(new.data["structure"], new.data["result"])
            elif name == "state" and new in FINISHED:
                self._finish(job)

    def _add_result(self, structure: str, result: CheckResult) -> None:
        self._partial.setdefault(structure, {})[result.check] = result
        if structure not in self.structure_dropdown.options:
            self._show_structures()
        elif structure == self.selected:
            self._draw()

    def _finish(self, job: Job) -> None:
        self._set_busy(False)
        if job.error is not None and job.state == "failed":
            self.error = " ".join(job.error.message.split()) or str(job.error)
            self._message.value = f"<span style='color:#b00'>{html.escape(self.error)}</span>"
        if isinstance(job.result, CheckReport):
            self._message.value = html.escape(repr(job.result))
            self.report = job.result  # draws it
        else:
            self._draw()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.check_button.disabled, self.stop_button.disabled = busy, not busy

    def _structures(self) -> list[str]:
        if self.report is not None:
            return [s.id for s in self.report.structures]
        return list(self._partial)

    def _results(self) -> dict[str, CheckResult]:
        if not self.selected:
            return {}
        if self.report is not None:
            return dict(self.report.structure(self.selected).checks)
        return dict(self._partial.get(self.selected, {}))

    def _show_structures(self) -> None:
        ids = self._structures()
        self.structure_dropdown.options = ids
        chosen = self.selected if self.selected in ids else (ids[0] if ids else "")
        if chosen != self.selected:
            self.selected = chosen
        else:
            self._draw()

    def _draw(self) -> None:
        results = self._results()
        self.verdicts.value = verdicts_html(results)
        for name, picture in self.pictures.items():
            result = results.get(name)
            picture.value = (
                b"" if result is None or result.verdict == "error" else self._png(result)
            )
            picture.hint = self._hint(name, result)
        relax = results.get("relax")
        final = None if relax is None else relax.values.get("final_structure")
        if final != self._final:
            self._final = final
            self.atoms_view.atoms = None if final is None else atoms_from_json(final)
            self.atoms_view.caption = "" if final is None else f"{self.selected} after relaxation"

    def _png(self, result: CheckResult) -> bytes:
        """The plot of ``result``, drawn once per result (a redraw reuses it)."""
        key = (self.selected, result.check)
        cached = self._pngs.get(key)
        if cached is not None and cached[0] is result:
            return cached[1]
        options = {"fmax": self._settings.relax_fmax} if result.check == "relax" else {}
        drawn = figure_png(physics_plot(result, self.selected, **options))
        self._pngs[key] = (result, drawn)
        return drawn

    def _hint(self, name: str, result: CheckResult | None) -> str:
        if result is not None:
            return f"{CHECK_NAMES[name]}: {result.verdict}: {result.reason}"
        if self.job is not None and self.job.state not in FINISHED and name in self.checks:
            return f"{CHECK_NAMES[name]}: running…"
        return f"{CHECK_NAMES[name]}: not run" if self.job is not None else ""

    def _connect(self) -> Any:
        if not self.scheduler.strip():
            return None
        from alignn_nb.compute import Cluster, connect

        return functools.partial(connect, Cluster(scheduler=self.scheduler.strip()))

    def check(self) -> Job | None:
        """Start the checks of `folder` on `data` as a new `job`; None (and `error` says
        why) for settings that cannot run, or while a job runs."""
        from alignn_nb.checks import planned_check_job

        if self.busy:
            return None
        try:
            if not self.folder:
                raise ValueError("give the run folder: alignn's output_dir")
            self._settings = CheckSettings(checks=tuple(self.checks), md_steps=self.md_steps)
            connect = self._connect()
        except ValueError as refused:
            self.error = str(refused)
            self._message.value = f"<span style='color:#b00'>{html.escape(self.error)}</span>"
            return None
        job = planned_check_job(
            self.folder,
            weights=self.weights or None,
            data=self.data or None,
            settings=self._settings,
            connect=connect,
        )
        self.job = job
        job.start()
        return job

    def stop(self) -> None:
        """Ask the job on display to stop (it ends with the checks done so far)."""
        if self.job is not None:
            self.job.stop()
