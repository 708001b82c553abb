"""Search spaces: spec parsing, the mirror's bounds, and the trial's settings."""

from __future__ import annotations

import re

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.tuning import (
    Param,
    SearchSpace,
    TrialOptions,
    offered_fields,
    params_of,
    parse_param,
    spec_of,
)
from alignn_nb.tuning.search_space import tunable_fields


@pytest.mark.parametrize(
    ("spec", "param"),
    [
        ("hidden_features=16:64", Param("hidden_features", "int", low=16, high=64)),
        ("learning_rate=1e-4:1e-2:log", Param("learning_rate", "float", 1e-4, 1e-2, log=True)),
        ("cutoff=4:6", Param("cutoff", "float", low=4.0, high=6.0)),
        ("alignn_layers=0,1,2", Param("alignn_layers", "choice", choices=(0, 1, 2))),
        ("lighten_edges=true,false", Param("lighten_edges", "choice", choices=(True, False))),
        (
            "neighbor_strategy=k-nearest,radius_graph",
            Param("neighbor_strategy", "choice", choices=("k-nearest", "radius_graph")),
        ),
        ("batch_size=2,4", Param("batch_size", "choice", choices=(2, 4))),
        ("steps=2:3", Param("steps", "int", low=2, high=3)),
    ],
)
def test_a_spec_becomes_the_param_it_names(spec, param):
    assert parse_param(spec) == param


def test_a_param_becomes_optunas_distribution():
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    space = SearchSpace.parse(
        ["hidden_features=8:16", "learning_rate=1e-4:1e-2:log", "alignn_layers=0,1"]
    )
    assert space.distributions() == {
        "hidden_features": IntDistribution(8, 16),
        "learning_rate": FloatDistribution(1e-4, 1e-2, log=True),
        "alignn_layers": CategoricalDistribution((0, 1)),
    }


def test_a_stored_distribution_reads_back_as_its_param_and_its_spec():
    specs = [
        "hidden_features=8:16",
        "learning_rate=0.0001:0.01:log",
        "alignn_layers=0,1",
        "lighten_edges=true,false",
        "max_neighbors=none,12",
    ]
    space = SearchSpace.parse(specs)
    assert params_of(space.distributions()) == list(space.params)
    assert [spec_of(p) for p in space.params] == specs


def test_the_offered_fields_are_the_tunable_ones_but_the_model_name_and_unread_fields():
    assert set(tunable_fields()) - set(offered_fields()) == {"name", "zero_inflated"}
    assert offered_fields() == [f for f in tunable_fields() if f not in ("name", "zero_inflated")]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "alignn_layers=-1:2",
            "alignn_layers=-1:2: alignn_layers = -1 refused: alignn_layers must be an integer >= 0",
        ),
        ("steps=0:3", "steps=0:3: steps = 0 refused: steps must be an integer >= 1"),
        (
            "learning_rate=0:1:log",
            "learning_rate=0:1:log: learning_rate = 0 refused: "
            "learning_rate must be a finite number > 0.0",
        ),
        (
            "cutoff=a:b",
            "cutoff=a:b: cutoff = 'a' refused: cutoff (Å) must be a finite number > 0.0",
        ),
        (
            "hidden_features=8.5:16",
            "hidden_features=8.5:16: hidden_features = 8.5 refused: "
            "hidden_features must be an integer >= 1",
        ),
        (
            "hidden_features=64:16",
            "hidden_features=64:16: hidden_features: LOW 64 is above HIGH 16",
        ),
        (
            "hidden_features=16",
            "hidden_features=16: a range is LOW:HIGH or LOW:HIGH:log, choices are a,b,c",
        ),
        (
            "lighten_edges=true",
            "lighten_edges=true: one value is no search: give lighten_edges=a,b or use --set true",
        ),
        (
            "lighten_edges=0:1",
            "lighten_edges=0:1: lighten_edges takes choices, not a range: True or False",
        ),
        ("alignn_layers=1,1", "alignn_layers=1,1: alignn_layers: a choice is listed twice"),
        ("hidden_features", "hidden_features: a spec is FIELD=LOW:HIGH[:log] or FIELD=a,b,c"),
    ],
)
def test_a_spec_the_mirror_refuses_is_refused_with_the_fields_message(spec, message):
    with pytest.raises(ValueError) as refused:
        parse_param(spec)
    assert str(refused.value) == message


def test_an_unknown_field_is_refused_naming_every_known_one():
    with pytest.raises(ValueError) as refused:
        parse_param("hiden_features=8:16")
    assert str(refused.value) == (
        "hiden_features=8:16: no field 'hiden_features' to tune; known fields: "
        + ", ".join(tunable_fields())
    )
    assert {"hidden_features", "cutoff", "learning_rate", "batch_size", "steps"} <= set(
        tunable_fields()
    )


def test_a_space_needs_a_param_and_each_field_once():
    with pytest.raises(ValueError, match=re.escape("nothing to tune: give at least one --param")):
        SearchSpace.parse([])
    with pytest.raises(ValueError, match=r"^cutoff is given more than once$"):
        SearchSpace.parse(["cutoff=4:5", "cutoff=5,6"])


def test_a_trials_values_land_on_copies_of_the_base():
    cfg, graph, options = ALIGNNAtomWiseConfig(), GraphConfig(), TrialOptions()
    space = SearchSpace.parse(["hidden_features=8:16", "cutoff=4:6", "steps=2:3"])
    settings = space.settings(
        {"hidden_features": 12, "cutoff": 5.0, "steps": 3}, cfg, graph, options
    )
    assert (settings.cfg.hidden_features, settings.graph.cutoff, settings.options.steps) == (
        12,
        5.0,
        3,
    )
    assert (cfg.hidden_features, graph.cutoff, options.steps) == (64, 8.0, 20)
    assert type(settings).from_dict(settings.as_dict()).as_dict() == settings.as_dict()
