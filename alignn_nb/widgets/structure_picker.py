"""`StructurePicker`: a built-in example, an uploaded file or a dataset sample as ``atoms``."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ase
import ipywidgets as widgets
from traitlets import Any as AnyTrait
from traitlets import Bool, Instance, TraitError, Unicode, default, observe, validate

from alignn_nb.structures import (
    ACCEPTED_STRUCTURES,
    MAX_UPLOAD_MB,
    STRUCTURE_KIND,
    STRUCTURE_NAMES,
    STRUCTURE_SUFFIXES,
    check_structure,
    example,
    examples,
    load_structure,
    structure_from_upload,
)
from alignn_nb.widgets.upload_button import UploadButton

if TYPE_CHECKING:
    from alignn_nb.datasets import Dataset

FIRST_EXAMPLE = "Si"
_ERROR_COLOUR = "#b00020"
_STYLE = {"description_width": "70px"}


def sample_id(sample: Any) -> str | None:
    """A sample's id or name (``.id``, ``.name`` or ``atoms.info["id"]``), or None."""
    for key in ("id", "name"):
        value = getattr(sample, key, None)
        if value not in (None, ""):
            return str(value)
    info_id = sample.atoms.info.get("id")
    return None if info_id is None else str(info_id)


def structure_text(atoms: ase.Atoms) -> str:
    """The formula and atom count, e.g. ``"Si2 · 2 atoms"``."""
    count = len(atoms)
    return f"{atoms.get_chemical_formula(mode='metal')} · {count} atom{'s' if count != 1 else ''}"


class StructurePicker(widgets.VBox):
    """Pick the structure to show and predict on: an example, an upload or a dataset sample.

    A refused choice (an unreadable upload, a broken sample) only sets `message`;
    `atoms` and `label` keep the last good structure. The controls are attributes:
    ``example_dropdown``, ``upload`` (an `UploadButton`), ``sample_dropdown``,
    ``info_html`` (formula and atom count) and ``message_html``.
    """

    atoms = Instance(ase.Atoms, help="The picked structure (positions and cell in Å).")
    label = Unicode(help="Where `atoms` came from, e.g. 'Si (example)' or 'upload: NaCl.cif'.")
    message = Unicode("", help="What the last pick did, or why it was refused.")
    failed = Bool(False, help="True when `message` is a refusal.")
    dataset = AnyTrait(
        None,
        allow_none=True,
        help="Samples to pick from: a sequence whose items have .atoms and an .id or .name.",
    )

    def __init__(
        self,
        atoms: Any = None,
        label: str = "given structure",
        dataset: Sequence | Dataset | None = None,
        **kwargs: Any,
    ) -> None:
        self._syncing = False
        self._make_controls()
        self.info_html = widgets.HTML()
        self.message_html = widgets.HTML()
        row = widgets.Layout(flex_flow="row wrap", align_items="center")
        controls = widgets.HBox(
            [self.example_dropdown, self.upload, self.sample_dropdown], layout=row
        )
        super().__init__(children=[controls, self.info_html, self.message_html], **kwargs)
        if atoms is not None:
            self.atoms = load_structure(atoms)
            self.label = label
        if dataset is not None:
            self.dataset = dataset
        if atoms is None:
            self.example_dropdown.value = FIRST_EXAMPLE
        self.example_dropdown.observe(self._on_example_picked, "value")
        self.upload.on_file(self.load_upload)
        self.upload.on_refused(self._refuse)
        self.sample_dropdown.observe(self._on_sample_picked, "value")
        self._fill_samples()
        self._render()

    def _make_controls(self) -> None:
        self.example_dropdown = widgets.Dropdown(
            options=list(examples()),
            value=None,
            description="Example",
            style=_STYLE,
            layout=widgets.Layout(width="220px"),
        )
        self.upload = UploadButton(
            accept=list(STRUCTURE_SUFFIXES),
            accept_names=list(STRUCTURE_NAMES),
            kind=STRUCTURE_KIND,
            accept_text=ACCEPTED_STRUCTURES,
            description="Upload",
            tooltip=f"A structure file: {ACCEPTED_STRUCTURES}; at most {MAX_UPLOAD_MB} MB",
        )
        self.sample_dropdown = widgets.Dropdown(
            options=[],
            value=None,
            description="Sample",
            style=_STYLE,
            disabled=True,
            layout=widgets.Layout(width="300px"),
        )

    @default("atoms")
    def _default_atoms(self) -> ase.Atoms:
        return example(FIRST_EXAMPLE)

    @default("label")
    def _default_label(self) -> str:
        return f"{FIRST_EXAMPLE} (example)"

    @validate("atoms")
    def _validate_atoms(self, proposal: dict) -> ase.Atoms:
        try:
            check_structure(proposal["value"])
        except ValueError as refusal:
            raise TraitError(str(refusal)) from None
        return proposal["value"]

    @validate("dataset")
    def _validate_dataset(self, proposal: dict) -> Any:
        samples = proposal["value"]
        if samples is None:
            return samples
        if not isinstance(samples, Sequence) and not hasattr(samples, "__getitem__"):
            raise TraitError(f"dataset must be a sequence of samples, not {type(samples).__name__}")
        missing = [i for i in range(len(samples)) if not hasattr(samples[i], "atoms")]
        if missing:
            raise TraitError(f"dataset items {missing[:5]} have no .atoms")
        return samples

    @observe("dataset")
    def _on_dataset_changed(self, change: dict) -> None:
        self._fill_samples()

    @observe("atoms", "label", "message", "failed")
    def _on_display_changed(self, change: dict) -> None:
        self._render()

    def _on_example_picked(self, change: dict) -> None:
        if not self._syncing and change["new"] is not None:
            self.select_example(change["new"])

    def _on_sample_picked(self, change: dict) -> None:
        if not self._syncing and change["new"] is not None:
            self.select_sample(change["new"])

    def _fill_samples(self) -> None:
        samples = self.dataset if self.dataset is not None else []
        options = []
        for index in range(len(samples)):
            name = sample_id(samples[index])
            options.append((f"{index}: {name}" if name else str(index), index))
        self._syncing = True
        try:
            self.sample_dropdown.options = options
            self.sample_dropdown.value = None
        finally:
            self._syncing = False
        self.sample_dropdown.disabled = not options

    def _render(self) -> None:
        self.info_html.value = (
            f"<span class='alignn-nb-structure'><b>{html.escape(self.label)}</b>: "
            f"{html.escape(structure_text(self.atoms))}</span>"
        )
        colour = f" style='color:{_ERROR_COLOUR}'" if self.failed else ""
        kind = "alignn-nb-error" if self.failed else "alignn-nb-message"
        self.message_html.value = (
            f"<span class='{kind}'{colour}>{html.escape(self.message)}</span>"
            if self.message
            else ""
        )

    def _pick(self, atoms: ase.Atoms, label: str, keep: widgets.Dropdown | None) -> None:
        """Show ``atoms``; clear the other dropdowns so picking them again takes effect."""
        with self.hold_trait_notifications():
            self.atoms = atoms
            self.label = label
            self.message = f"Picked {label}."
            self.failed = False
        self._syncing = True
        try:
            for dropdown in (self.example_dropdown, self.sample_dropdown):
                if dropdown is not keep:
                    dropdown.value = None
        finally:
            self._syncing = False

    def _refuse(self, message: str) -> None:
        with self.hold_trait_notifications():
            self.message = message
            self.failed = True

    def select_example(self, name: str) -> None:
        """Pick the built-in example ``name`` (a key of `alignn_nb.structures.loading.examples`)."""
        try:
            atoms = example(name)
        except ValueError as refusal:
            self._refuse(str(refusal))
            return
        self._pick(atoms, f"{name} (example)", self.example_dropdown)

    def load_upload(self, name: str, content: bytes) -> None:
        """Pick an uploaded structure file; a refused file leaves `atoms` as it was."""
        try:
            atoms = structure_from_upload(name, content)
        except ValueError as refusal:
            self._refuse(str(refusal))
            return
        self._pick(atoms, f"upload: {name}", None)

    def select_structure(self, atoms: ase.Atoms, label: str) -> None:
        """Pick ``atoms`` from elsewhere (e.g. a dataset scan's heaviest structure) as ``label``."""
        try:
            checked = load_structure(atoms)
        except ValueError as refusal:
            self._refuse(f"{label}: {refusal}")
            return
        self._pick(checked, label, None)

    def select_sample(self, index: int) -> None:
        """Pick sample ``index`` of `dataset`."""
        samples = self.dataset if self.dataset is not None else []
        if not 0 <= index < len(samples):
            self._refuse(f"no sample {index}: the dataset has {len(samples)} samples")
            return
        sample = samples[index]
        try:
            atoms = load_structure(sample.atoms)
        except ValueError as refusal:
            self._refuse(f"sample {index}: {refusal}")
            return
        name = sample_id(sample)
        dataset_name = getattr(self.dataset, "name", "dataset")
        label = f"{dataset_name} sample {index}" + (f": {name}" if name else "")
        self._pick(atoms, label, self.sample_dropdown)
