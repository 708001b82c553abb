"""Training: alignn-nb's short AdamW run (`train`, `ShortRun`; as a Job: `short_run_job`),
what one of alignn's training steps costs (`step_cost`, calibrated by real steps in a
fresh process), the train verb (alignn's own ``train_for_folder`` as a Job:
`training_job`, `TrainRequest`, `attach`, ``alignn-nb train``; `TrainFolder` names a
run's files), and the example run
alignn-nb ships with its recipe.

The datasets, the loss terms and the run folders that lived here moved to
`alignn_nb.datasets`, `alignn_nb.loss` and `alignn_nb.evaluation`; their old names here
still work for one release, with a `DeprecationWarning`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.training import step_cost
    from alignn_nb.training.example_run import SUBSET as EXAMPLE_RUN_SUBSET
    from alignn_nb.training.example_run import example_run_data, example_run_path
    from alignn_nb.training.short_job import (
        ShortRunSettings,
        shape_changes_since,
        short_run_job,
        short_run_task,
    )
    from alignn_nb.training.short_run import (
        DEFAULT_LEARNING_RATE,
        DEFAULT_STEPS,
        ShortRun,
        Step,
        train,
    )
    from alignn_nb.training.step_calibration import calibrate
    from alignn_nb.training.step_cost import StepCost
    from alignn_nb.training.train_folder import RunFolder as TrainFolder
    from alignn_nb.training.train_folder import recover_run
    from alignn_nb.training.train_job import attach, training_job
    from alignn_nb.training.train_plan import TrainPlan, check_training
    from alignn_nb.training.train_request import Refused, TrainingFailed, TrainRequest

MOVED = {
    "Dataset": "alignn_nb.datasets.Dataset",
    "Sample": "alignn_nb.datasets.Sample",
    "load_dataset": "alignn_nb.datasets.load_dataset",
    "read_id_prop": "alignn_nb.datasets.read_id_prop",
    "default_dataset": "alignn_nb.datasets.default_dataset",
    "example_dataset_path": "alignn_nb.datasets.example_dataset_path",
    "EXAMPLE_DATASETS": "alignn_nb.datasets.EXAMPLE_DATASETS",
    "TERMS": "alignn_nb.loss.TERMS",
    "WEIGHT_FIELDS": "alignn_nb.loss.WEIGHT_FIELDS",
    "make_batches": "alignn_nb.loss.make_batches",
    "loss_terms": "alignn_nb.loss.loss_terms",
    "fresh_breakdown": "alignn_nb.loss.fresh_breakdown",
    "reweight": "alignn_nb.loss.reweight",
    "LossBreakdown": "alignn_nb.loss.LossBreakdown",
    "sweep": "alignn_nb.loss.weight_response",
    "Sweep": "alignn_nb.loss.WeightResponse",
    "TrainingRun": "alignn_nb.training.ShortRun",
    "AlignnHistory": "alignn_nb.evaluation.AlignnHistory",
    "load_history": "alignn_nb.evaluation.load_history",
    "TrainedRun": "alignn_nb.evaluation.RunFolder",
    "load_run": "alignn_nb.evaluation.load_run",
    "run_dataset": "alignn_nb.evaluation.run_dataset",
    "Evaluation": "alignn_nb.evaluation.Evaluation",
    "evaluate": "alignn_nb.evaluation.evaluate",
    "RunComparison": "alignn_nb.evaluation.RunComparison",
    "compare_runs": "alignn_nb.evaluation.compare_runs",
}
"""The names of the old training package that moved or were renamed, and where they are
now (each still resolves here, with a `DeprecationWarning`, until the next release)."""

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals(), MOVED)
