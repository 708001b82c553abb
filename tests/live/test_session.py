"""LiveSession: only touched stages rerun, bursts coalesce, errors keep the last good results."""

from __future__ import annotations

import logging
import threading
import time

import ase
import numpy as np
import pytest
import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import Dataset, default_dataset
from alignn_nb.graphs import build_graphs, fingerprint
from alignn_nb.live import session as live
from alignn_nb.loss import loss_terms, reweight
from alignn_nb.model import build_model, model_summary, predict
from alignn_nb.structures import example

pytestmark = pytest.mark.dgl


@pytest.fixture(scope="module")
def dataset():
    return default_dataset(size=3)


@pytest.fixture
def session(dataset):
    cfg, graph = ALIGNNAtomWiseConfig(), GraphConfig()
    made = live.LiveSession(cfg, graph, example("Si"), "Si", dataset=dataset)
    made.compute_now()
    return made


def test_first_round_matches_the_stages_run_by_hand(session, dataset):
    result = session.result
    assert result.ran == ("graph", "model", "forward", "loss")
    assert result.error is None and result.structure == "Si"
    assert result.config == ALIGNNAtomWiseConfig().to_dict()
    torch.manual_seed(0)
    model = build_model(ALIGNNAtomWiseConfig())
    graphs = build_graphs(example("Si"), ALIGNNAtomWiseConfig(), GraphConfig())
    assert result.prediction.energy.value == pytest.approx(predict(model, graphs).energy.value)
    assert result.summary.total == model_summary(model).total == 143_297
    expected = loss_terms(model, dataset, ALIGNNAtomWiseConfig(), GraphConfig())
    assert result.losses.total == pytest.approx(expected.total, rel=1e-5)
    assert result.status().startswith("recomputed graph ")


def test_a_loss_weight_only_reweights(session):
    before = session.result
    session.config.graphwise_weight = 0.25
    after = session.compute_now()
    assert after.ran == ("reweight",)
    assert after.prediction is before.prediction and after.graphs is before.graphs
    graphwise = after.losses.terms["graphwise"]
    assert graphwise.weight == 0.25
    assert graphwise.weighted == pytest.approx(0.25 * before.losses.terms["graphwise"].raw)
    assert after.losses.total == pytest.approx(reweight(before.losses, session.config).total)
    assert after.config["graphwise_weight"] == 0.25


def test_inner_cutoff_rebuilds_the_line_graph_only(session):
    before = session.result
    session.config.inner_cutoff = 4.0
    after = session.compute_now()
    assert after.ran == ("graph", "forward", "loss")
    assert after.model is before.model
    assert after.graphs.stats["neighbor_search_cached"] is True
    assert after.graphs.stats["triplets"] > before.graphs.stats["triplets"]


def test_a_shape_field_rebuilds_the_model_not_the_graph(session):
    session.config.hidden_features = 128
    after = session.compute_now()
    assert after.ran == ("model", "forward", "loss")
    assert after.summary.total == 524_289


def test_a_forward_field_keeps_the_model(session):
    before = session.result
    session.config.penalty_threshold = 2.5
    after = session.compute_now()
    assert after.ran == ("forward", "loss")
    assert after.model is before.model
    assert after.prediction.penalty > 0 == before.prediction.penalty


def test_bursts_coalesce_and_the_last_config_wins(session, monkeypatch):
    active, most, rounds = [0], [0], [0]
    original = live.LiveSession._round

    def counted(self, inputs):
        active[0] += 1
        most[0] = max(most[0], active[0])
        rounds[0] += 1
        try:
            time.sleep(0.05)
            return original(self, inputs)
        finally:
            active[0] -= 1

    monkeypatch.setattr(live.LiveSession, "_round", counted)
    for width in range(10, 30):
        session.config.hidden_features = width
        session.request()
    result = session.wait()
    assert most[0] == 1
    assert rounds[0] < 20
    assert result.config["hidden_features"] == 29
    assert result.model.config.hidden_features == 29
    assert session.stale is False


def test_requests_from_many_threads_end_in_the_newest_state(session):
    def nudge(value):
        session.config.gcn_layers = value
        session.request()

    threads = [threading.Thread(target=nudge, args=(v % 3,)) for v in range(9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = session.wait()
    assert result.config["gcn_layers"] == session.config.gcn_layers
    assert len(result.model.gcn_layers) == session.config.gcn_layers


def test_a_failing_stage_keeps_the_last_good_results(session):
    before = session.result
    session.atoms = ase.Atoms("Si2", positions=[[0, 0, 0], [0, 0, 0.05]], cell=[5, 5, 5], pbc=True)
    session.label = "bad"
    after = session.compute_now()
    assert after.error.stage == "graph"
    assert "0.05" in after.error.message
    assert after.status() == f"graph failed: {after.error.message}"
    assert after.prediction is before.prediction and after.structure == "Si"
    assert after.config == before.config
    session.atoms, session.label = example("Cu"), "Cu"
    recovered = session.compute_now()
    assert recovered.error is None and recovered.structure == "Cu"
    assert recovered.prediction.forces.shape == (1, 3)


def test_an_adopted_model_stays_until_its_shape_changes(session):
    trained = build_model(session.config)
    session.adopt_model(trained)
    result = session.wait()
    assert result.model is trained and "model" in result.ran
    session.config.use_penalty = False
    assert session.compute_now().model is trained
    session.config.gcn_layers = 3
    assert session.compute_now().model is not trained


def test_a_model_built_for_another_shape_is_refused_and_nothing_is_adopted(session):
    before = session.result
    other = session.config.copy()
    other.hidden_features = 32
    with pytest.raises(ValueError, match=r"^the model's shape no longer matches "):
        session.adopt_model(build_model(other), other)
    with pytest.raises(ValueError, match=r"\(hidden_features 32 → 64\)$"):
        session.adopt_model(build_model(other), other)
    after = session.compute_now()
    assert after.ran == ("reweight",) and after.model is before.model


def test_without_a_dataset_there_is_no_loss_stage(session):
    session.dataset = None
    result = session.compute_now()
    assert result.losses is None
    session.config.hidden_features = 32
    assert session.compute_now().ran == ("model", "forward")


def test_the_worker_keeps_its_thread_between_rounds_and_its_torch_threads(dataset):
    session = live.LiveSession(
        ALIGNNAtomWiseConfig(), GraphConfig(), example("Si"), dataset=None, threads=1
    )
    seen = []
    session.observe(
        lambda change: seen.append((threading.get_ident(), torch.get_num_threads())), "result"
    )
    session.compute_now()
    session.config.hidden_features = 32
    session.compute_now()
    assert len(seen) == 2 and seen[0] == seen[1]
    assert seen[0][1] == 1
    session.close()
    assert session.join(5)


HANG_GUARD_S = 60.0
"""Bound on waits that never end on a broken engine; not a speed limit."""


def test_an_observer_that_raises_once_is_logged_and_the_next_edit_publishes(session, caplog):
    seen = []

    def redraw(change):
        seen.append(change["new"].config["hidden_features"])
        if len(seen) == 1:
            raise ValueError("the view could not redraw")

    session.observe(redraw, "result")
    session.config.hidden_features = 32
    session.request()
    with caplog.at_level(logging.ERROR, logger="alignn_nb.live.session"):
        failed = session.wait(HANG_GUARD_S)
    assert failed.config["hidden_features"] == 32 and failed.error is None
    assert session.publish_error == (
        "an observer of result raised ValueError: the view could not redraw"
    )
    assert [r.exc_info[0] for r in caplog.records] == [ValueError]
    session.config.hidden_features = 48
    session.request()
    recovered = session.wait(HANG_GUARD_S)
    assert recovered.config["hidden_features"] == 48 == recovered.model.config.hidden_features
    assert seen == [32, 48] and session.publish_error == ""
    assert session.stale is False


class _Placeholder:
    """A plain object with the memory layout of an ``ase.Atoms`` or a `Dataset`."""


def _recycled(freed: int, make) -> object | None:
    """An object from ``make()`` made where a freed object lay, if all goes to plan.

    CPython's allocator hands out the freed memory once the pool it lies in is in use
    again, so placeholders of the same size are made (and kept) until one lands there;
    that one is dropped and ``make()``'s object usually takes its place (the caller
    checks: now and then another allocation gets there first).
    """
    held = []
    for _ in range(1_000_000):
        placeholder = _Placeholder()
        if id(placeholder) == freed:
            del placeholder
            return make()
        held.append(placeholder)
    return None


def _stopped(session: live.LiveSession) -> None:
    """End the worker thread, so that nothing but the session's own keys remembers the
    inputs of the last round."""
    session.close()
    assert session.join(HANG_GUARD_S)


def _replaced_at_the_same_address(session: live.LiveSession, name: str, old, new) -> object:
    """Compute a round with ``old()`` as ``session.<name>``, free that object, and put in
    its place an object from ``new()`` that has the freed object's ``id``."""
    for _ in range(5):
        first = old()
        setattr(session, name, first)
        session.compute_now()
        _stopped(session)
        freed = id(first)
        setattr(session, name, None)
        del first
        second = _recycled(freed, new)
        if id(second) == freed:
            setattr(session, name, second)
            return second
    raise AssertionError("the freed id never went to the new object: the test proves nothing")


def test_a_structure_at_the_address_of_a_freed_one_gets_its_own_graphs(session):
    nacl_source = example("NaCl")
    _replaced_at_the_same_address(session, "atoms", lambda: example("Si"), nacl_source.copy)
    session.label = "NaCl"
    result = session.compute_now()
    assert "graph" in result.ran
    assert result.graphs.atoms.get_chemical_formula() == "ClNa"
    assert fingerprint(result.graphs.atoms) == fingerprint(nacl_source)


def test_a_dataset_at_the_address_of_a_freed_one_gets_its_own_loss(session, dataset):
    _replaced_at_the_same_address(
        session,
        "dataset",
        lambda: Dataset("first two", dataset.samples[:2]),
        lambda: Dataset("all three", dataset.samples),
    )
    result = session.compute_now()
    assert "loss" in result.ran
    assert result.losses.samples == 3


def test_a_structure_edited_in_place_is_rebuilt(session):
    before = session.result
    session.atoms.positions[0] += (0.1, 0.0, 0.0)
    after = session.compute_now()
    assert after.ran == ("graph", "forward", "reweight")
    assert fingerprint(after.graphs.atoms) == fingerprint(session.atoms)
    assert fingerprint(after.graphs.atoms) != fingerprint(before.graphs.atoms)
    assert not np.allclose(after.prediction.forces.value, before.prediction.forces.value)
