"""The Dataset tab's controls, made and laid out (the tab wires and observes them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets

from alignn_nb.datasets import EXAMPLE_DATASETS
from alignn_nb.structures import MAX_UPLOAD_MB
from alignn_nb.widgets._picture import Picture
from alignn_nb.widgets.upload_button import UploadButton

_STYLE = {"description_width": "70px"}


@dataclass(frozen=True, eq=False)
class DatasetControls:
    """The tab's child widgets; `rows` lays them out."""

    example_dropdown: widgets.Dropdown
    path_text: widgets.Text
    upload: UploadButton
    batch_text: widgets.BoundedIntText
    scheduler_text: widgets.Text
    estimate_box: widgets.Checkbox
    stop_button: widgets.Button
    progress: widgets.IntProgress
    rate_html: widgets.HTML
    heaviest_dropdown: widgets.Dropdown
    message_html: widgets.HTML
    summary_html: widgets.HTML
    plot: Picture

    def rows(self) -> list[widgets.Widget]:
        row = widgets.Layout(flex_flow="row wrap", align_items="center")
        return [
            widgets.HBox([self.example_dropdown, self.path_text, self.upload], layout=row),
            widgets.HBox(
                [
                    self.batch_text,
                    self.scheduler_text,
                    self.progress,
                    self.rate_html,
                    self.stop_button,
                ],
                layout=row,
            ),
            self.estimate_box,
            self.message_html,
            self.summary_html,
            self.heaviest_dropdown,
            self.plot,
        ]


def dataset_controls(
    example: str, labels: Mapping[str, str], suffixes: Sequence[str], hint: str
) -> DatasetControls:
    """The controls, showing ``example`` (one of `EXAMPLE_DATASETS`, named by ``labels``)
    and accepting uploads of ``suffixes``; the plot shows ``hint`` until a picture."""
    return DatasetControls(
        example_dropdown=widgets.Dropdown(
            options=[(labels.get(n, n), n) for n in EXAMPLE_DATASETS], value=example,
            description="Example", style=_STYLE, layout=widgets.Layout(width="240px"),
        ),
        path_text=widgets.Text(
            description="Path", continuous_update=False, style=_STYLE,
            placeholder="a dataset folder, glob, id_prop.json or .extxyz; Enter scans it",
            layout=widgets.Layout(width="420px"),
        ),
        upload=UploadButton(
            accept=list(suffixes), kind="a dataset file", description="Upload dataset",
            tooltip=f"alignn's id_prop.json (.zip) or an extxyz file; at most {MAX_UPLOAD_MB} MB",
        ),
        batch_text=widgets.BoundedIntText(
            value=64, min=0, max=10**6, description="Batch", style=_STYLE,
            layout=widgets.Layout(width="160px"),
        ),
        scheduler_text=widgets.Text(
            description="Dask", placeholder="tcp://HOST:PORT, or empty for this kernel",
            continuous_update=False, style={"description_width": "40px"},
            layout=widgets.Layout(width="280px"),
        ),
        estimate_box=widgets.Checkbox(
            description="estimate training steps (calibrates once per model shape, ~30 s)",
            indent=False,
        ),
        stop_button=widgets.Button(description="Stop", button_style="danger", disabled=True),
        progress=widgets.IntProgress(min=0, max=1, description="Scan", style=_STYLE),
        rate_html=widgets.HTML(),
        heaviest_dropdown=widgets.Dropdown(
            options=[], value=None, description="Heaviest", style=_STYLE,
            layout=widgets.Layout(width="420px"),
        ),
        message_html=widgets.HTML(),
        summary_html=widgets.HTML(),
        plot=Picture(hint, max_width="100%"),
    )  # fmt: skip
