"""The training stage: datasets with units, alignn's loss term by term on batches, weight
sweeps, short AdamW runs, alignn's history files, and trained runs loaded and evaluated.
"""

from __future__ import annotations

from alignn_nb.lazy import lazy_names

_LAZY = {
    "Dataset": "alignn_nb.training.datasets",
    "Sample": "alignn_nb.training.datasets",
    "load_dataset": "alignn_nb.training.datasets",
    "read_id_prop": "alignn_nb.training.id_prop",
    "default_dataset": "alignn_nb.training.example_data",
    "example_dataset_path": "alignn_nb.training.example_data",
    "EXAMPLE_DATASETS": "alignn_nb.training.example_data",
    "example_run_path": "alignn_nb.training.example_run",
    "example_run_data": "alignn_nb.training.example_run",
    "TERMS": "alignn_nb.training.terms",
    "WEIGHT_FIELDS": "alignn_nb.training.terms",
    "make_batches": "alignn_nb.training.batches",
    "loss_terms": "alignn_nb.training.breakdown",
    "fresh_breakdown": "alignn_nb.training.breakdown",
    "reweight": "alignn_nb.training.breakdown",
    "LossBreakdown": "alignn_nb.training.breakdown",
    "sweep": "alignn_nb.training.sensitivity",
    "Sweep": "alignn_nb.training.sensitivity",
    "train": "alignn_nb.training.runs",
    "TrainingRun": "alignn_nb.training.runs",
    "AlignnHistory": "alignn_nb.training.history",
    "load_history": "alignn_nb.training.history",
    "TrainedRun": "alignn_nb.training.alignn_run",
    "load_run": "alignn_nb.training.alignn_run",
    "run_dataset": "alignn_nb.training.alignn_run",
    "Evaluation": "alignn_nb.training.evaluation",
    "evaluate": "alignn_nb.training.evaluation",
    "RunComparison": "alignn_nb.training.comparison",
    "compare_runs": "alignn_nb.training.comparison",
}
"""Public names and the module each lives in, imported on first use (the loss needs torch)."""

__all__ = [
    "EXAMPLE_DATASETS",
    "TERMS",
    "WEIGHT_FIELDS",
    "AlignnHistory",
    "Dataset",
    "Evaluation",
    "LossBreakdown",
    "RunComparison",
    "Sample",
    "Sweep",
    "TrainedRun",
    "TrainingRun",
    "compare_runs",
    "default_dataset",
    "evaluate",
    "example_dataset_path",
    "example_run_data",
    "example_run_path",
    "fresh_breakdown",
    "load_dataset",
    "load_history",
    "load_run",
    "loss_terms",
    "make_batches",
    "read_id_prop",
    "reweight",
    "run_dataset",
    "sweep",
    "train",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
