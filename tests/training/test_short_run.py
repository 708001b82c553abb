"""Short seeded training runs: terms go down, seeds repeat, Stop ends within one step."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import Dataset, default_dataset
from alignn_nb.datasets.dataset import make_sample
from alignn_nb.loss import loss_terms
from alignn_nb.model import build_model
from alignn_nb.training import train

pytestmark = pytest.mark.dgl

GRAPH = GraphConfig()
CFG = ALIGNNAtomWiseConfig(stresswise_weight=0.1)


@pytest.fixture(scope="module")
def small() -> Dataset:
    return default_dataset()[:8]


def test_twenty_steps_bring_every_term_down(small):
    run = train(small, CFG, GRAPH, steps=20, seed=0, threads=1)
    assert len(run.steps) == 20 and not run.stopped
    for name in ("graphwise", "gradwise", "stresswise", "total"):
        series = run.series(name)
        assert np.mean(series[-5:]) < series[0], (name, series[0], series[-5:])
    assert np.mean(run.series("total")[-5:]) < 0.5 * run.series("total")[0]


def test_a_run_from_a_fresh_model_is_seeded_without_touching_the_global_rng(small):
    torch.manual_seed(5)
    expected = train(small, CFG, GRAPH, steps=2, seed=5, model=build_model(CFG), threads=1)
    torch.manual_seed(11)
    before = torch.get_rng_state()
    run = train(small, CFG, GRAPH, steps=2, seed=5, threads=1)
    assert torch.equal(torch.get_rng_state(), before)
    assert run.series("total") == expected.series("total")
    trained, reference = run.model.state_dict(), expected.model.state_dict()
    assert all(torch.equal(trained[key], reference[key]) for key in reference)


def test_the_same_seed_repeats_the_run(small):
    first = train(small, CFG, GRAPH, steps=3, seed=5, threads=1)
    again = train(small, CFG, GRAPH, steps=3, seed=5, threads=1)
    other = train(small, CFG, GRAPH, steps=3, seed=6, threads=1)
    assert again.series("total") == pytest.approx(first.series("total"), rel=1e-6)
    assert other.series("total")[0] != first.series("total")[0]


def test_steps_report_the_terms_of_the_config(small):
    seen = []
    train(small, ALIGNNAtomWiseConfig(), GRAPH, steps=2, callback=seen.append)
    assert [step.index for step in seen] == [1, 2]
    assert list(seen[0].weighted) == ["graphwise", "gradwise"]
    assert seen[0].total == pytest.approx(sum(seen[0].weighted.values()))
    assert seen[1].seconds >= seen[0].seconds > 0


def test_stop_set_during_a_step_ends_before_the_next(small):
    stop = threading.Event()

    def stop_after_second(step):
        if step.index == 2:
            stop.set()

    run = train(small, CFG, GRAPH, steps=10, callback=stop_after_second, stop=stop)
    assert run.stopped
    assert len(run.steps) == 2


def test_stop_from_another_thread(small):
    stop, started = threading.Event(), threading.Event()
    result = {}
    worker = threading.Thread(
        target=lambda: result.update(
            run=train(small, CFG, GRAPH, steps=50, stop=stop, callback=lambda step: started.set())
        )
    )
    worker.start()
    assert started.wait(60)
    stop.set()
    worker.join(60)
    assert not worker.is_alive()
    run = result["run"]
    assert run.stopped and 1 <= len(run.steps) < 50


def test_the_given_model_keeps_its_trained_weights(small):
    torch.manual_seed(0)
    model = build_model(CFG)
    before = loss_terms(model, small, CFG, GRAPH).total
    untouched = [p.detach().clone() for p in model.parameters()]
    run = train(small, CFG, GRAPH, steps=10, model=model, threads=1)
    assert run.model is model
    assert not model.training
    assert any(not torch.equal(a, b) for a, b in zip(untouched, model.parameters(), strict=True))
    assert loss_terms(model, small, CFG, GRAPH).total < before


def test_batches_are_visited_in_a_seeded_order(small):
    run = train(small, ALIGNNAtomWiseConfig(), GRAPH, steps=4, batch_size=4, seed=1)
    assert len(run.steps) == 4
    assert run.series("graphwise")[0] != run.series("graphwise")[1]


def test_refusals(small):
    with pytest.raises(ValueError, match="steps must be at least 1, got 0"):
        train(small, CFG, GRAPH, steps=0)
    with pytest.raises(ValueError, match="learning_rate must be > 0, got -1"):
        train(small, CFG, GRAPH, learning_rate=-1)
    bare = Dataset("bare", tuple(make_sample(s.id, s.atoms) for s in small))
    with pytest.raises(ValueError, match="nothing to train: no loss term has a value"):
        train(bare, CFG, GRAPH, steps=1)


def test_training_plot_has_one_curve_per_term_and_the_total(small):
    import matplotlib.pyplot as plt

    from alignn_nb.viz import training_plot

    run = train(small, CFG, GRAPH, steps=3)
    figure = training_plot(run.steps, planned=10)
    axes = figure.axes[0]
    assert [line.get_label() for line in axes.get_lines()] == [
        "graphwise (energy)",
        "gradwise (forces)",
        "stresswise (stress)",
        "total",
    ]
    assert list(axes.get_lines()[3].get_ydata()) == pytest.approx(run.series("total"))
    assert axes.get_xlim() == (0.5, 10.5)
    assert axes.get_yscale() == "log"
    plt.close(figure)


def test_threads_are_restored_after_the_run(small):
    before = torch.get_num_threads()
    run = train(small, CFG, GRAPH, steps=1, threads=1)
    assert len(run.steps) == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads must be at least 1, got 0"):
        train(small, CFG, GRAPH, steps=1, threads=0)
