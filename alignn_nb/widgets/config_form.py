"""`ConfigForm`: the model config, graph options and training settings as a form generated
from their trait metadata."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
from traitlets import Dict, Instance, List, TraitError, default, observe

from alignn_nb.config import (
    PURE_MODEL,
    PURE_ONLY_FIELDS,
    ALIGNNAtomWiseConfig,
    Finding,
    GraphConfig,
    TrainingSettings,
    check,
)
from alignn_nb.widgets._controls import (
    effect_badge,
    make_input,
    to_field_value,
    to_widget_value,
)

GRAPH_SECTION = "Graph (training config)"
_LEVEL_COLOURS = {"error": "#b00020", "warning": "#8a6d00"}


class _Row:
    """One field's input, effect badge and inline error, and which config it belongs to."""

    def __init__(self, owner: str, trait: Any, value: Any) -> None:
        self.owner = owner
        self.trait = trait
        self.input = make_input(trait, value)
        self.error = widgets.HTML(value="", layout=widgets.Layout(margin="0 0 4px 178px"))
        self.box = widgets.VBox([widgets.HBox([self.input, effect_badge(trait)]), self.error])


class ConfigForm(widgets.VBox):
    """One control per field of an `ALIGNNAtomWiseConfig`, a `GraphConfig` and a
    `TrainingSettings`, by section (the training settings in the last three).

    Controls and configs are linked both ways. A value the config refuses is not applied:
    the control keeps what was typed, an inline error says why, and `errors` records it.
    The cross-field findings of the current values are listed under the form. The
    fields only alignn's pure-torch model has are greyed out while ``name`` is the DGL
    model alignn_atomwise.
    """

    config = Instance(ALIGNNAtomWiseConfig, help="The model config the form edits.")
    graph = Instance(GraphConfig, help="The graph options the form edits.")
    training = Instance(TrainingSettings, help="The training settings the form edits.")
    errors = Dict(help="Field name to the message of the value it last refused.")
    findings = List(Instance(Finding), help="Cross-field findings for the current values.")

    def __init__(
        self,
        config: ALIGNNAtomWiseConfig | None = None,
        graph: GraphConfig | None = None,
        training: TrainingSettings | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._syncing = False
        if config is not None:
            self.config = config
        if graph is not None:
            self.graph = graph
        if training is not None:
            self.training = training
        self._rows = self._make_rows()
        self._findings_html = widgets.HTML()
        self.accordion = self._make_accordion()
        self.children = [self.accordion, self._findings_html]
        self.add_class("alignn-nb-config-form")
        for owner in (self.config, self.graph, self.training):
            owner.observe(self._on_field_changed)
        self._refresh_findings()
        self._grey_out_other_flavour()

    @default("config")
    def _default_config(self) -> ALIGNNAtomWiseConfig:
        return ALIGNNAtomWiseConfig()

    @default("graph")
    def _default_graph(self) -> GraphConfig:
        return GraphConfig()

    @default("training")
    def _default_training(self) -> TrainingSettings:
        return TrainingSettings()

    @observe("config", "graph", "training")
    def _on_configs_replaced(self, change: dict) -> None:
        if not hasattr(self, "_rows"):
            return
        if change["old"] is not None:
            change["old"].unobserve(self._on_field_changed)
        change["new"].observe(self._on_field_changed)
        self._sync_all()

    @observe("errors")
    def _on_errors_changed(self, change: dict) -> None:
        for name, row in self._rows.items():
            message = change["new"].get(name, "")
            row.error.value = (
                f"<span style='color:#b00020'>{html.escape(message)}</span>" if message else ""
            )

    def _on_input(self, name: str, change: dict) -> None:
        if self._syncing:
            return
        row = self._rows[name]
        target = getattr(self, row.owner)
        try:
            setattr(target, name, to_field_value(row.trait, change["new"]))
        except TraitError as refusal:
            self.errors = {**self.errors, name: str(refusal)}
            return
        self._clear_error(name)

    def _on_field_changed(self, change: dict) -> None:
        name = change["name"]
        if name not in self._rows:
            return
        self._show(name, change["new"])
        self._clear_error(name)
        self._refresh_findings()
        if name == "name":
            self._grey_out_other_flavour()

    def _make_rows(self) -> dict[str, _Row]:
        rows = {}
        owners = (("config", self.config), ("graph", self.graph), ("training", self.training))
        for owner, obj in owners:
            for name in obj.field_names():
                rows[name] = _Row(owner, obj.field_trait(name), getattr(obj, name))
                rows[name].input.observe(
                    lambda change, name=name: self._on_input(name, change), "value"
                )
        return rows

    def _make_accordion(self) -> widgets.Accordion:
        sections = [(s, self.config.fields_in(s)) for s in self.config.SECTIONS]
        sections.append((GRAPH_SECTION, self.graph.field_names()))
        sections += [(s, self.training.fields_in(s)) for s in self.training.SECTIONS]
        children = [widgets.VBox([self._rows[n].box for n in names]) for _, names in sections]
        accordion = widgets.Accordion(children=children, titles=[s for s, _ in sections])
        accordion.selected_index = 1
        return accordion

    def _show(self, name: str, value: Any) -> None:
        row = self._rows[name]
        self._syncing = True
        try:
            row.input.value = to_widget_value(row.trait, value)
        finally:
            self._syncing = False

    def _sync_all(self) -> None:
        for name, row in self._rows.items():
            self._show(name, getattr(getattr(self, row.owner), name))
        self.errors = {}
        self._refresh_findings()
        self._grey_out_other_flavour()

    def _grey_out_other_flavour(self) -> None:
        self.set_disabled(PURE_ONLY_FIELDS, self.config.name != PURE_MODEL)

    def _clear_error(self, name: str) -> None:
        if name in self.errors:
            self.errors = {k: v for k, v in self.errors.items() if k != name}

    def _refresh_findings(self) -> None:
        self.findings = check(self.config, self.graph)
        items = "".join(
            f"<li style='color:{_LEVEL_COLOURS[f.level]}'><b>{html.escape(f.level)}</b> "
            f"({html.escape(', '.join(f.fields))}): {html.escape(f.message)}</li>"
            for f in self.findings
        )
        self._findings_html.value = (
            f"<ul class='alignn-nb-findings'>{items}</ul>"
            if items
            else "<span class='alignn-nb-findings'>No cross-field findings.</span>"
        )

    def control(self, name: str) -> widgets.ValueWidget:
        """The input widget of field ``name`` (a model or graph field, or a training setting)."""
        return self._rows[name].input

    def error_label(self, name: str) -> widgets.HTML:
        """The inline error label beside field ``name``."""
        return self._rows[name].error

    def set_disabled(self, names: list[str] | tuple[str, ...], disabled: bool = True) -> None:
        """Grey out (or re-enable) the controls of ``names``."""
        for name in names:
            self._rows[name].input.disabled = disabled
