"""`TrainingSettings`: alignn's training settings mirrored, checked, loaded and written back."""

from __future__ import annotations

import json
import typing

import pytest
from alignn.config import TrainingConfig
from traitlets import TraitError

from alignn_nb.config import (
    SETTINGS_KEYS,
    ALIGNNAtomWiseConfig,
    AlignnConfigError,
    GraphConfig,
    TrainingSettings,
    apply_alignn_config,
    load_alignn_config,
    to_alignn_config,
)
from alignn_nb.config.traits import EFFECTS
from tests.support.real_configs import CONFIGS, EALIGNN, EALIGNN_REFUSAL, config_data

LOADABLE = [c for c in CONFIGS if c != EALIGNN]


def test_every_setting_is_an_alignn_field_with_alignns_default():
    alignn = TrainingConfig.model_fields
    for name in SETTINGS_KEYS:
        trait = TrainingSettings.field_trait(name)
        assert name in alignn, name
        assert trait.help and set(trait.metadata["effect"]) <= set(EFFECTS), name
        if name != "output_dir":
            assert TrainingSettings.defaults()[name] == alignn[name].default, name
    assert TrainingSettings().output_dir is None


def test_the_choices_are_alignns():
    for name in ("optimizer", "scheduler", "criterion"):
        values = TrainingSettings.field_trait(name).values
        assert tuple(values) == typing.get_args(TrainingConfig.model_fields[name].annotation)


def test_optional_settings_are_the_ones_alignn_types_optional():
    for name in SETTINGS_KEYS:
        optional = type(None) in typing.get_args(TrainingConfig.model_fields[name].annotation)
        # output_dir None stands for alignn's default, the folder it is started from
        assert TrainingSettings.field_trait(name).allow_none is (optional or name == "output_dir")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("epochs", 0, "epochs = 0 refused: epochs must be an integer >= 1"),
        ("batch_size", 2.0, "batch_size = 2.0 refused: batch_size must be an integer >= 1"),
        (
            "learning_rate",
            float("nan"),
            "learning_rate = nan refused: learning_rate must be a finite number >= 0.0",
        ),
        (
            "learning_rate",
            -1e-3,
            "learning_rate = -0.001 refused: learning_rate must be a finite number >= 0.0",
        ),
        (
            "train_ratio",
            1.5,
            "train_ratio = 1.5 refused: train_ratio must be a finite number >= 0.0 and "
            "<= 1.0 or None",
        ),
        (
            "random_seed",
            -1,
            "random_seed = -1 refused: random_seed must be an integer >= 0 and <= 4294967295 "
            "or None",
        ),
        (
            "optimizer",
            "sgd2",
            "optimizer = 'sgd2' refused: optimizer must be one of 'adamw', 'sgd'",
        ),
        (
            "save_dataloader",
            1,
            "save_dataloader = 1 refused: save_dataloader must be True or False",
        ),
        ("output_dir", b"out", "output_dir = b'out' refused: output_dir must be a string or None"),
    ],
)
def test_a_refused_value_names_the_field_and_keeps_the_previous_one(name, value, message):
    settings = TrainingSettings(epochs=7)
    before = settings.to_dict()
    with pytest.raises(TraitError) as caught:
        setattr(settings, name, value)
    assert str(caught.value) == message
    assert settings.to_dict() == before


def test_alignn_keys_leave_out_an_unset_output_dir():
    assert "output_dir" not in TrainingSettings().alignn_keys()
    assert TrainingSettings(output_dir="run").alignn_keys()["output_dir"] == "run"
    assert list(TrainingSettings().alignn_keys()) == [k for k in SETTINGS_KEYS if k != "output_dir"]


@pytest.mark.parametrize("config", LOADABLE)
def test_real_configs_round_trip_to_the_same_training_values(config):
    original = config_data(config)
    loaded = load_alignn_config(original)
    given = {k: v for k, v in original.items() if k in SETTINGS_KEYS}
    assert {k: getattr(loaded.settings, k) for k in given} == given
    exported = json.loads(json.dumps(to_alignn_config(*loaded, loaded.training, loaded.settings)))
    ours, theirs = TrainingConfig(**exported), TrainingConfig(**original)
    assert {k: getattr(ours, k) for k in SETTINGS_KEYS} == {
        k: getattr(theirs, k) for k in SETTINGS_KEYS
    }
    kept = [k for k in original if k not in SETTINGS_KEYS and k != "model"]
    assert {k: exported[k] for k in kept} == {k: original[k] for k in kept}
    assert load_alignn_config(exported).settings == loaded.settings


def test_the_ealignn_config_is_still_refused():
    with pytest.raises(AlignnConfigError) as caught:
        load_alignn_config(config_data(EALIGNN))
    assert str(caught.value).endswith(EALIGNN_REFUSAL)


def test_a_missing_setting_takes_alignns_default_and_a_bad_one_is_named():
    loaded = load_alignn_config({"epochs": 5})
    assert loaded.settings.changed_fields() == {"epochs": 5}
    with pytest.raises(AlignnConfigError) as caught:
        load_alignn_config({"epochs": 5, "n_train": 0, "batch_size": "x", "dtype": 3})
    assert str(caught.value) == (
        "config: 3 problems:\n"
        "- n_train = 0 refused: n_train must be an integer >= 1 or None\n"
        "- batch_size = 'x' refused: batch_size must be an integer >= 1\n"
        "- dtype = 3 refused by alignn's TrainingConfig: Input should be a valid string"
    )


def test_export_writes_the_settings_in_place_of_the_kept_keys():
    given = {"epochs": 5, "dtype": "float64", "model": {"name": "alignn_atomwise"}}
    loaded = load_alignn_config(given)
    settings = loaded.settings.copy()
    settings.update(epochs=9, learning_rate=0.002, output_dir="out")
    out = to_alignn_config(*loaded, loaded.training, settings)
    assert (out["epochs"], out["learning_rate"], out["output_dir"], out["dtype"]) == (
        9,
        0.002,
        "out",
        "float64",
    )
    alignn = TrainingConfig(**out)
    assert (alignn.epochs, alignn.learning_rate, alignn.output_dir) == (9, 0.002, "out")
    assert next(iter(out)) == "dtype"


def test_export_without_settings_reads_them_from_the_training_keys():
    out = to_alignn_config(ALIGNNAtomWiseConfig(), GraphConfig(), {"epochs": 4})
    assert (out["epochs"], out["batch_size"]) == (4, 64)
    with pytest.raises(AlignnConfigError) as caught:
        to_alignn_config(ALIGNNAtomWiseConfig(), GraphConfig(), {"epochs": -4})
    assert str(caught.value) == "training keys: epochs = -4 refused: epochs must be an integer >= 1"


def test_apply_fills_the_given_settings_or_leaves_them_unchanged():
    cfg, graph, settings = ALIGNNAtomWiseConfig(), GraphConfig(), TrainingSettings(epochs=2)
    loaded = apply_alignn_config({"epochs": 11, "n_val": 3}, cfg, graph, settings)
    assert loaded.settings is settings
    assert settings.changed_fields() == {"epochs": 11, "n_val": 3}
    with pytest.raises(AlignnConfigError):
        apply_alignn_config({"epochs": 12, "cutoff": -1.0}, cfg, graph, settings)
    assert settings.changed_fields() == {"epochs": 11, "n_val": 3}
