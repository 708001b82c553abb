"""`TrainingSettings`: the fields of alignn's ``TrainingConfig`` a user sets, as traits.

They sit at the top level of alignn's training ``config.json``, beside the graph options
and the model block: how long and how fast to train, how the data is split, and what
alignn writes. Each default is alignn 2026.8.11's, with one exception: alignn's
``output_dir`` defaults to the folder alignn is started from, which the mirror keeps as
None and leaves out of the exported config, so alignn still fills it in.

Where alignn 2026.8.11's training of the ALIGNN-atomwise models never reads a field it
declares, the field is tagged ``"nowhere"`` and its help says so (the loss is always L1,
there is no warm-up, the checkpoints are always written). ``n_early_stopping`` is read by
``alignn-nb train``, which stops the run itself: alignn's own loop does not.
"""

from __future__ import annotations

from typing import Any

from alignn_nb.config.fields import _bool, _float, _int, _tag
from alignn_nb.config.traits import StrictEnum, StrictFloat, StrictInt, StrictTraits, StrictUnicode

TRAINING = "Training"
SPLIT = "Training split"
WRITTEN = "Training output"
LOOP = "training loop"
NOWHERE = "nowhere"
OPTIMIZERS = ("adamw", "sgd")
SCHEDULERS = ("onecycle", "none")
CRITERIA = ("mse", "l1", "poisson", "zig")
#: The largest seed numpy's global generator takes (alignn seeds it with random_seed).
MAX_SEED = 2**32 - 1


def _optional_int(
    default: int | None, help: str, section: str, **bounds: float
) -> StrictInt[int | None, int | None]:
    trait = StrictInt(default, allow_none=True, help=help)
    return trait.tag(**_tag(section, (LOOP,), "", **bounds))


def _ratio(default: float | None, help: str) -> StrictFloat[float | None, float | None]:
    return StrictFloat(default, allow_none=True, help=help).tag(
        **_tag(SPLIT, (LOOP,), minimum=0.0, maximum=1.0)
    )


class TrainingSettings(StrictTraits):
    """The training settings of an alignn ``config.json`` (top-level keys), as traits.

    Assigning a wrong type, an out-of-bounds value or an unknown field raises
    `traitlets.TraitError` naming the field, and the previous value stays.
    """

    SECTIONS = (TRAINING, SPLIT, WRITTEN)

    epochs = _int(300, "Passes over the training split.", TRAINING, (LOOP,), minimum=1)
    batch_size = _int(
        64, "Structures per training step (and per validation batch).", TRAINING, (LOOP,), minimum=1
    )
    learning_rate = _float(
        1e-2,
        "The optimizer's learning rate; with onecycle, the peak of the cycle. 0 keeps the "
        "weights as they start, so alignn only logs the losses.",
        TRAINING,
        (LOOP,),
        minimum=0.0,
    )
    weight_decay = _float(
        0.0,
        "The optimizer's weight decay (not applied to biases and normalisation weights).",
        TRAINING,
        (LOOP,),
        minimum=0.0,
    )
    optimizer = StrictEnum(
        OPTIMIZERS, default_value="adamw", help="The optimizer: AdamW, or SGD with momentum."
    ).tag(**_tag(TRAINING, (LOOP,)))
    scheduler = StrictEnum(
        SCHEDULERS,
        default_value="onecycle",
        help="The learning-rate schedule: one cycle up and down per run, or a constant rate.",
    ).tag(**_tag(TRAINING, (LOOP,)))
    lr_total_epochs = _optional_int(
        None,
        "Epochs the onecycle schedule spans; None: epochs. Keeps one cycle across resumes.",
        TRAINING,
        minimum=1,
    )
    warmup_steps = _int(
        2000,
        "Declared by alignn for a warm-up; its training loop never reads it.",
        TRAINING,
        (NOWHERE,),
        minimum=0,
    )
    criterion = StrictEnum(
        CRITERIA,
        default_value="mse",
        help="Declared by alignn; its atomwise training always uses the L1 loss.",
    ).tag(**_tag(TRAINING, (NOWHERE,)))
    random_seed = _optional_int(
        123,
        "Seed of Python's, numpy's and torch's generators as training starts; None leaves "
        "them unseeded. The split has its own seed, 123.",
        TRAINING,
        minimum=0,
        maximum=MAX_SEED,
    )
    n_early_stopping = _optional_int(
        None,
        "Stop after this many epochs without a better validation loss; None never stops. "
        "alignn-nb train honours it; alignn's own loop does not read it.",
        TRAINING,
        minimum=1,
    )

    n_train = _optional_int(
        None, "Training structures; None: train_ratio of the dataset.", SPLIT, minimum=1
    )
    n_val = _optional_int(
        None, "Validation structures; None: val_ratio of the dataset.", SPLIT, minimum=0
    )
    n_test = _optional_int(
        None, "Test structures; None: test_ratio of the dataset.", SPLIT, minimum=0
    )
    train_ratio = _ratio(
        0.8, "Share of the dataset to train on, when n_train is None; None: what is left."
    )
    val_ratio = _ratio(0.1, "Share of the dataset to validate on, when n_val is None.")
    test_ratio = _ratio(0.1, "Share of the dataset to test on, when n_test is None.")

    write_predictions = _bool(
        True,
        "Write the test split's predictions against the targets after training.",
        WRITTEN,
        (LOOP,),
    )
    write_checkpoint = _bool(
        True,
        "Declared by alignn; it writes its checkpoints every epoch whatever this says.",
        WRITTEN,
        (NOWHERE,),
    )
    store_outputs = _bool(
        True,
        "Declared by alignn for storing outputs; its training loop never reads it.",
        WRITTEN,
        (NOWHERE,),
    )
    save_dataloader = _bool(
        False, "Also save the data loaders (alignn's graph datasets) to files.", WRITTEN, (LOOP,)
    )
    output_dir = StrictUnicode(
        None,
        allow_none=True,
        help="Folder alignn writes the run to; None: the folder alignn is started from.",
    ).tag(**_tag(WRITTEN, (LOOP,)))

    def alignn_keys(self) -> dict[str, Any]:
        """The settings as alignn's training keys: every field, but output_dir only when set."""
        keys = self.to_dict()
        if keys["output_dir"] is None:
            del keys["output_dir"]
        return keys


#: The alignn training keys `TrainingSettings` mirrors, in declaration order.
SETTINGS_KEYS = tuple(TrainingSettings.field_names())
