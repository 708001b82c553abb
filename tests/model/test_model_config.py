"""`to_alignn_model_config`: alignn validates the first block, later ones are updated copies.

The copies must be exactly what alignn's own constructor gives for the same mirror, value
and type, field by field; random mirror configs in a row check that.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from traitlets import TraitError

from alignn_nb.config import ALIGNNAtomWiseConfig, to_alignn_model_config
from alignn_nb.config.alignn_model import _alignn_config_class
from alignn_nb.config.rules import alignn_model_block


def _values(trait: Any) -> st.SearchStrategy:
    kind = type(trait).__name__
    if kind == "StrictBool":
        values = st.booleans()
    elif kind == "StrictInt":
        values = st.integers(-3, 300)
    elif kind == "StrictFloat":
        values = st.floats(-5.0, 50.0, allow_nan=False)
    else:
        values = st.sampled_from(trait.values)
    return st.none() | values if trait.allow_none else values


FIELDS = ALIGNNAtomWiseConfig.field_names()
EDITS = st.lists(
    st.sampled_from(FIELDS).flatmap(
        lambda name: st.tuples(st.just(name), _values(ALIGNNAtomWiseConfig.class_traits()[name]))
    ),
    max_size=12,
)


def typed_dump(config: Any) -> dict[str, tuple[type, Any]]:
    return {key: (type(value), value) for key, value in config.model_dump().items()}


def by_alignn(cfg: ALIGNNAtomWiseConfig) -> Any:
    return _alignn_config_class(cfg)(**alignn_model_block(cfg))


@given(configs=st.lists(EDITS, min_size=1, max_size=4))
def test_each_config_in_a_row_equals_alignns_own_validation(configs):
    for edits in configs:
        cfg = ALIGNNAtomWiseConfig()
        for name, value in edits:
            try:
                setattr(cfg, name, value)
            except TraitError:
                continue
        made = to_alignn_model_config(cfg)
        assert type(made) is _alignn_config_class(cfg)
        assert typed_dump(made) == typed_dump(by_alignn(cfg))


def test_a_returned_config_is_the_callers_own():
    first = to_alignn_model_config(ALIGNNAtomWiseConfig(gradwise_weight=0.0))
    first.calculate_gradient = False
    second = to_alignn_model_config(ALIGNNAtomWiseConfig(gradwise_weight=0.0))
    assert second is not first
    assert second.calculate_gradient is True
