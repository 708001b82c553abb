"""The training stage: datasets with units, alignn's loss term by term on batches, weight
sweeps, short AdamW runs, alignn's history files, trained runs loaded and evaluated, and
alignn's own training run as a Job (`training_job`, ``alignn-nb train``).
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
    "TrainRequest": "alignn_nb.training.train_request",
    "Refused": "alignn_nb.training.train_request",
    "TrainingFailed": "alignn_nb.training.train_request",
    "TrainPlan": "alignn_nb.training.train_plan",
    "check_training": "alignn_nb.training.train_plan",
    "training_job": "alignn_nb.training.train_job",
    "attach": "alignn_nb.training.train_job",
    "recover_run": "alignn_nb.training.train_folder",
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
    "Refused",
    "RunComparison",
    "Sample",
    "Sweep",
    "TrainPlan",
    "TrainRequest",
    "TrainedRun",
    "TrainingFailed",
    "TrainingRun",
    "attach",
    "check_training",
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
    "recover_run",
    "reweight",
    "run_dataset",
    "sweep",
    "train",
    "training_job",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
