"""`ConfigToolbar`: load, save, presets, diff, reset and undo/redo for the configs."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
from traitlets import Bool, Dict, Enum, Instance, List, TraitError, Unicode, observe

from alignn_nb.config import (
    SETTINGS_KEYS,
    ALIGNNAtomWiseConfig,
    ConfigHistory,
    DiffRow,
    GraphConfig,
    LoadedConfig,
    TrainingSettings,
    diff_from_defaults,
    diff_from_loaded,
    load_preset,
    named_presets,
    to_alignn_config,
)
from alignn_nb.structures import CONFIG_SUFFIXES, MAX_UPLOAD_MB, config_from_upload
from alignn_nb.widgets.config_form import GRAPH_SECTION
from alignn_nb.widgets.upload_button import UploadButton

DIFF_MODES = ("off", "against defaults", "against loaded file")
SAVE_NAME = "config.json"
_ERROR_COLOUR = "#b00020"
_BUTTON = widgets.Layout(width="auto")


def _value_text(value: Any) -> str:
    return html.escape(repr(value))


def diff_html(rows: list[DiffRow], reference: str) -> str:
    """An HTML table of changed fields against ``reference`` (a short name)."""
    if not rows:
        return (
            f"<span class='alignn-nb-diff'>No field differs from {html.escape(reference)}.</span>"
        )
    body = "".join(
        f"<tr><td>{html.escape(r.section)}</td><td><b>{html.escape(r.field)}</b></td>"
        f"<td>{_value_text(r.reference)}</td><td>{_value_text(r.current)}</td></tr>"
        for r in rows
    )
    head = f"<tr><th>section</th><th>field</th><th>{html.escape(reference)}</th><th>now</th></tr>"
    return (
        "<table class='alignn-nb-diff' "
        "style='font-family:monospace;font-size:12px;line-height:1.3'>"
        f"{head}{body}</table>"
    )


def save_link(text: str, file_name: str = SAVE_NAME) -> str:
    """An HTML download link holding ``text`` as a base64 ``data:`` URL."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    name = html.escape(file_name, quote=True)
    return (
        f"<a class='alignn-nb-save' download='{name}' "
        f"href='data:application/json;base64,{payload}' "
        "style='padding:4px 10px;border:1px solid #888;border-radius:2px;"
        f"text-decoration:none;color:inherit'>Save {name}</a>"
    )


class ConfigToolbar(widgets.VBox):
    """Load, save, presets, diff, reset and undo/redo for a model config, its graph options
    and its training settings.

    The toolbar edits the given `config`, `graph` and `settings` in place. A load, preset
    or reset changes every field or none and is one undo step; so is each field edit made
    elsewhere (e.g. in the `ConfigForm`). The loaded file's other training keys (those
    `settings` does not mirror) are kept in `training` and written back by Save.

    The controls are attributes: ``upload`` (an `UploadButton`), ``save_html`` (the download link),
    ``preset_dropdown``, ``apply_button``, ``section_dropdown``, ``reset_button``,
    ``reset_all_button``, ``undo_button``, ``redo_button``, ``diff_toggle``,
    ``message_html`` and ``diff_view``.
    """

    config = Instance(ALIGNNAtomWiseConfig, read_only=True, help="The model config edited.")
    graph = Instance(GraphConfig, read_only=True, help="The graph options edited.")
    settings = Instance(TrainingSettings, read_only=True, help="The training settings edited.")
    history = Instance(ConfigHistory, read_only=True, help="Undo/redo of the three configs.")
    training = Dict(
        help="The loaded file's training keys that are neither graph options, training "
        "settings nor the model, kept verbatim for Save."
    )
    loaded = Instance(
        LoadedConfig, allow_none=True, help="The last loaded file or preset, as loaded."
    )
    loaded_name = Unicode("", help="The file or preset name of `loaded`.")
    diff_mode = Enum(DIFF_MODES, default_value="off", help="What the diff compares against.")
    diff = List(Instance(DiffRow), help="The changed fields shown by the diff.")
    message = Unicode("", help="What the last action did, or why it was refused.")
    failed = Bool(False, help="True when `message` is a refusal.")
    notes = List(Unicode(), help="alignn-nb's notes from the last load or preset.")

    def __init__(
        self,
        config: ALIGNNAtomWiseConfig | None = None,
        graph: GraphConfig | None = None,
        settings: TrainingSettings | None = None,
        **kwargs: Any,
    ) -> None:
        self._batching = False
        super().__init__(**kwargs)
        self.set_trait("config", ALIGNNAtomWiseConfig() if config is None else config)
        self.set_trait("graph", GraphConfig() if graph is None else graph)
        self.set_trait("settings", TrainingSettings() if settings is None else settings)
        extras = [(self, "training"), (self, "loaded"), (self, "loaded_name")]
        history = ConfigHistory(self.config, self.graph, extras=extras, settings=self.settings)
        self.set_trait("history", history)
        self._make_file_controls()
        self._make_edit_controls()
        self.children = self._layout()
        for owner in (self.config, self.graph, self.settings):
            owner.observe(self._on_field_changed)
        self.history.observe(self._on_history_changed)
        self._refresh_save()
        self._refresh_history_buttons()
        self._render_message()

    @observe("training")
    def _on_training_changed(self, change: dict) -> None:
        if not self._batching:
            self._refresh_save()

    @observe("diff_mode", "loaded")
    def _on_diff_source_changed(self, change: dict) -> None:
        if not self._batching:
            self._refresh_diff()

    @observe("message", "failed", "notes")
    def _on_message_changed(self, change: dict) -> None:
        self._render_message()

    def _on_field_changed(self, change: dict) -> None:
        if not self._batching:
            self._refresh_save()
            self._refresh_diff()

    def _on_history_changed(self, change: dict) -> None:
        self._refresh_history_buttons()

    def _on_upload_refused(self, message: str) -> None:
        self._say(message, failed=True)

    def _make_file_controls(self) -> None:
        self.upload = UploadButton(
            accept=list(CONFIG_SUFFIXES),
            kind="an alignn config.json",
            description="Load",
            tooltip=f"Load an alignn training config.json (at most {MAX_UPLOAD_MB} MB)",
            layout=_BUTTON,
        )
        self.upload.on_file(self.load_file)
        self.upload.on_refused(self._on_upload_refused)
        self.save_html = widgets.HTML(layout=widgets.Layout(margin="4px 8px"))
        self.preset_dropdown = widgets.Dropdown(
            options=list(named_presets()),
            description="Preset",
            layout=widgets.Layout(width="240px"),
            style={"description_width": "50px"},
        )
        self.apply_button = self._button("Apply", "Load the chosen preset", self._click_apply)
        self.message_html = widgets.HTML()

    def _make_edit_controls(self) -> None:
        sections = [(s, s) for s in self.config.SECTIONS] + [(GRAPH_SECTION, "Graph")]
        sections += [(s, s) for s in self.settings.SECTIONS]
        self.section_dropdown = widgets.Dropdown(
            options=sections,
            description="Section",
            layout=widgets.Layout(width="300px"),
            style={"description_width": "55px"},
        )
        self.reset_button = self._button(
            "Reset section", "Restore this section's defaults", self._click_reset
        )
        self.reset_all_button = self._button(
            "Reset all", "Restore every default", self._click_reset_all
        )
        self.undo_button = self._button(
            "Undo", "Nothing to undo", lambda _: self.undo(), icon="undo"
        )
        self.redo_button = self._button(
            "Redo", "Nothing to redo", lambda _: self.redo(), icon="repeat"
        )
        self.diff_toggle = widgets.Dropdown(
            options=DIFF_MODES,
            description="Diff",
            layout=widgets.Layout(width="170px"),
            style={"description_width": "30px"},
        )
        widgets.link((self.diff_toggle, "value"), (self, "diff_mode"))
        self.diff_view = widgets.HTML()

    @staticmethod
    def _button(text: str, tip: str, handler: Any, icon: str = "") -> widgets.Button:
        button = widgets.Button(description=text, tooltip=tip, icon=icon, layout=_BUTTON)
        button.on_click(handler)
        return button

    def _layout(self) -> list[widgets.Widget]:
        row = widgets.Layout(flex_flow="row wrap", align_items="center")
        rows = (
            (
                self.upload,
                self.save_html,
                self.undo_button,
                self.redo_button,
                self.reset_all_button,
            ),
            (self.preset_dropdown, self.apply_button, self.diff_toggle),
            (self.section_dropdown, self.reset_button),
        )
        return [
            *(widgets.HBox(list(children), layout=row) for children in rows),
            self.message_html,
            self.diff_view,
        ]

    def _click_apply(self, _: widgets.Button) -> None:
        self.apply_preset(self.preset_dropdown.value)

    def _click_reset(self, _: widgets.Button) -> None:
        self.reset_section(self.section_dropdown.value)

    def _click_reset_all(self, _: widgets.Button) -> None:
        self.reset_all()

    @contextmanager
    def _action(self) -> Iterator[None]:
        """Refresh the save link and diff once, at the end; show a refusal as the message."""
        self._batching = True
        try:
            yield
        except (ValueError, TraitError) as refusal:
            self._say(str(refusal), failed=True)
        finally:
            self._batching = False
            self._refresh_save()
            self._refresh_diff()

    def _say(self, message: str, failed: bool = False, notes: list[str] | None = None) -> None:
        with self.hold_trait_notifications():
            self.message = message
            self.failed = failed
            self.notes = list(notes or [])

    def _apply_loaded(self, loaded: LoadedConfig, name: str, action: str, done: str) -> None:
        with self.history.step(f"{action} {name}"):
            kept = {k: v for k, v in loaded.training.items() if k not in SETTINGS_KEYS}
            with self.hold_trait_notifications():
                self.loaded_name = name
                self.loaded = loaded
                self.training = kept
            self.config.update(**loaded.cfg.to_dict())
            self.graph.update(**loaded.graph.to_dict())
            self.settings.update(**loaded.settings.to_dict())
        kept_text = f"; {len(kept)} other training keys kept for Save" if kept else ""
        self._say(f"{done} {name}{kept_text}.", notes=loaded.notes)

    def _refresh_save(self) -> None:
        try:
            text = self.config_json()
        except ValueError as refusal:
            self.save_html.value = (
                f"<span class='alignn-nb-save-error' style='color:{_ERROR_COLOUR}'>"
                f"cannot save: {html.escape(str(refusal))}</span>"
            )
            return
        self.save_html.value = save_link(text)

    def _refresh_diff(self) -> None:
        if self.diff_mode == "against defaults":
            self.diff = diff_from_defaults(self.config, self.graph, self.settings)
        elif self.diff_mode == "against loaded file" and self.loaded is not None:
            self.diff = diff_from_loaded(self.config, self.graph, self.loaded, self.settings)
        else:
            self.diff = []
        self._render_diff()

    def _render_diff(self) -> None:
        if self.diff_mode == "off":
            self.diff_view.value = ""
        elif self.diff_mode == "against defaults":
            self.diff_view.value = diff_html(self.diff, "defaults")
        elif self.loaded is None:
            self.diff_view.value = (
                "<span class='alignn-nb-diff'>Nothing loaded yet: load a config.json or "
                "apply a preset.</span>"
            )
        else:
            self.diff_view.value = diff_html(self.diff, self.loaded_name)

    def _render_message(self) -> None:
        style = f" style='color:{_ERROR_COLOUR}'" if self.failed else ""
        kind = "alignn-nb-error" if self.failed else "alignn-nb-message"
        text = html.escape(self.message).replace("\n", "<br>")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        listed = f"<ul class='alignn-nb-notes' style='margin:2px 0'>{notes}</ul>" if notes else ""
        self.message_html.value = f"<div class='{kind}'{style}>{text}</div>{listed}"

    def _refresh_history_buttons(self) -> None:
        self.undo_button.disabled = not self.history.can_undo
        self.redo_button.disabled = not self.history.can_redo
        undo, redo = self.history.undo_description, self.history.redo_description
        self.undo_button.tooltip = f"Undo {undo}" if undo else "Nothing to undo"
        self.redo_button.tooltip = f"Redo {redo}" if redo else "Nothing to redo"

    def load_file(self, name: str, content: bytes) -> bool:
        """Load an uploaded alignn ``config.json``; on any problem nothing changes.

        Returns:
            True when the configs were replaced, False when the file was refused (the
            reason is in `message`).
        """
        with self._action():
            self._apply_loaded(config_from_upload(name, content), name, "load", "Loaded")
            return True
        return False

    def apply_preset(self, name: str) -> bool:
        """Replace the configs with preset ``name`` (see `alignn_nb.config.presets.presets`)."""
        with self._action():
            self._apply_loaded(load_preset(name), name, "preset", "Applied preset")
            return True
        return False

    def reset_section(self, section: str) -> None:
        """Restore the defaults of one section (``"Graph"`` for the graph options)."""
        owners = (self.config, self.graph, self.settings)
        target = next((o for o in owners if section in o.SECTIONS), self.config)
        with self._action():
            if section not in target.SECTIONS:
                known = ", ".join(s for owner in owners for s in owner.SECTIONS)
                raise ValueError(f"no section {section!r}; sections: {known}")
            with self.history.step(f"reset {section}"):
                target.reset(section)
            self._say(f"Reset {section} to alignn-nb's defaults.")

    def reset_all(self) -> None:
        """Restore every field's default; the loaded file's other training keys stay for Save."""
        with self._action():
            with self.history.step("reset all"):
                self.config.reset()
                self.graph.reset()
                self.settings.reset()
            self._say("Reset every field to alignn-nb's defaults.")

    def undo(self) -> None:
        """Revert the last step, if any."""
        with self._action():
            self._say(f"Undid {self.history.undo()}.")

    def redo(self) -> None:
        """Re-apply the last undone step, if any."""
        with self._action():
            self._say(f"Redid {self.history.redo()}.")

    def config_json(self) -> str:
        """What Save writes: `alignn_nb.config.alignn_export.to_alignn_config` as JSON (indent 2).

        Raises:
            AlignnConfigError: when the kept training keys cannot be written.
        """
        return json.dumps(self.alignn_config(), indent=2) + "\n"

    def alignn_config(self) -> dict[str, Any]:
        """The whole alignn training config Save writes, as a dict:
        `alignn_nb.config.alignn_export.to_alignn_config` of the model config, the graph
        options, the kept training keys and the training settings.

        Raises:
            AlignnConfigError: when the kept training keys cannot be written.
        """
        return to_alignn_config(self.config, self.graph, self.training, self.settings)
