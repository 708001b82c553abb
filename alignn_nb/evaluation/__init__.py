"""Trained runs explored: alignn's output folders (`RunFolder`, `load_run`), their history
files, a run's errors per structure and per atom on a dataset (`evaluate`), and two runs
compared (`compare_runs`); opening a run (load, evaluate, compare) as a Job
(`evaluation_job`), for the Explore tab and ``alignn-nb evaluate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.evaluation.comparison import MAES, RunComparison, compare_runs
    from alignn_nb.evaluation.evaluate_job import (
        EvaluatedRun,
        EvaluationRequest,
        evaluation_job,
        evaluation_task,
    )
    from alignn_nb.evaluation.evaluation import Evaluation, StructureErrors, evaluate
    from alignn_nb.evaluation.history import AlignnHistory, load_history
    from alignn_nb.evaluation.run_folder import RunFolder, load_run, run_dataset

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
