"""Tuning a config with Optuna (``alignn-nb sweep``, the Sweep tab): what a study tunes
(`SearchSpace`, `Param`), one trial (a seeded short training scored on a validation
split), the study in its storage (records, the best config), and the driver that runs
trials on a Dask cluster (`run_study`; as a Job: `sweep_job`). The driver's
ask-and-tell helpers are private.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.tuning.driver import run_study
    from alignn_nb.tuning.search_space import (
        FIRST_FIELD,
        Param,
        SearchSpace,
        TrialOptions,
        TrialSettings,
        offered_fields,
        owner_of,
        params_of,
        parse_param,
        parse_value,
        spec_of,
    )
    from alignn_nb.tuning.study import (
        DEFAULT_STORAGE,
        DEFAULT_STUDY,
        TrialRecord,
        TuningPlan,
        alignn_training_keys,
        best,
        finished_count,
        importances,
        open_storage,
        open_study,
        records,
        save_best,
        summary,
    )
    from alignn_nb.tuning.sweep import TrialTold, ending_text, sweep_job, sweep_task
    from alignn_nb.tuning.trials import OBJECTIVES

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
