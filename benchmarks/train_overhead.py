"""``alignn-nb train`` against a bare ``train_for_folder`` call: wall time and the ETA's error.

Run: ``DGLBACKEND=pytorch .venv/bin/python benchmarks/train_overhead.py [--quick]
[--repeats N] [--threads N]``.

Both run in fresh processes on the same data and config, alternating, each timed from
its start to its exit:

- bare: ``python -c "from alignn.train_alignn import train_for_folder; ..."`` in a scratch
  folder, as a user would call it;
- ours: ``python -m alignn_nb.cli train --data ... --config ... --output ... --json``
  (the config's check, the data's copy, the cost model's estimate, the watcher, the
  checkpoint copies, the child process and the end's clean-up included).

The case: the first ``structures`` mlearn Si cells, the shipped example run's recipe
with hidden_features, cutoff and epochs as below. Prints each pair, the median overhead
(the goal: at most 3 s plus 5 % of the bare time), whether the histories are the same (to
1e-4 relative), and the ETA's errors: the cost model's seconds of the first epoch's
training steps against alignn's (before the start), and the ETA printed after the first
epoch against the time the remaining epochs took.

``--quick`` (what the test suite runs) is one pair of 24 cells, 3 epochs, cutoff 3.5 Å,
on one torch thread unless ``--threads`` says otherwise: on a machine shared with other
work the two threads torch takes wait for each other and swing the times.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CASES = {
    "quick": {"structures": 24, "epochs": 3, "cutoff": 3.5, "hidden_features": 32},
    "full": {"structures": 64, "epochs": 5, "cutoff": 5.0, "hidden_features": 64},
}
BARE = """
import sys
from alignn.train_alignn import train_for_folder
train_for_folder(root_dir=sys.argv[1], config_name=sys.argv[2], output_dir=None)
"""
OVERHEAD_GOAL = (3.0, 0.05)
"""At most this many seconds plus this share of the bare time."""


def inputs(folder: Path, case: dict) -> tuple[Path, dict]:
    """The data folder and alignn's config (without output_dir) of ``case``."""
    sys.path.insert(0, str(REPO))
    from alignn_nb.training import example_run_data
    from alignn_nb.training.example_run import recipe

    entries = json.loads(example_run_data().read_text())[: case["structures"]]
    data = folder / "data"
    data.mkdir()
    (data / "id_prop.json").write_text(json.dumps(entries))
    n = case["structures"]
    config = recipe()
    config.update(
        epochs=case["epochs"],
        cutoff=case["cutoff"],
        n_train=n - 2 * (n // 6),
        n_val=n // 6,
        n_test=n // 6,
    )
    config["model"] = {**config["model"], "hidden_features": case["hidden_features"]}
    config.pop("output_dir")
    return data, config


def environment(threads: int | None) -> dict[str, str]:
    env = {**os.environ, "DGLBACKEND": "pytorch"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def bare(folder: Path, data: Path, config: dict, env: dict[str, str]) -> tuple[float, Path]:
    """Seconds of a bare train_for_folder process; its output folder."""
    folder.mkdir()
    output = folder / "output"
    (folder / "config.json").write_text(json.dumps({**config, "output_dir": str(output)}))
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", BARE, str(data), str(folder / "config.json")],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start, output


def ours(folder: Path, data: Path, config: dict, env: dict[str, str]) -> tuple[float, dict]:
    """Seconds of an ``alignn-nb train`` process; its summary."""
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    command = [sys.executable, "-m", "alignn_nb.cli", "train", "--data", str(data)]
    command += ["--config", str(folder / "config.json"), "--output", str(folder / "output")]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--json"], cwd=folder, env=env, check=True, capture_output=True, text=True
    )
    return time.perf_counter() - start, json.loads(done.stdout)


def same_history(a: Path, b: Path) -> bool:
    return all(
        np.allclose(
            json.loads((a / f"history_{s}.json").read_text()),
            json.loads((b / f"history_{s}.json").read_text()),
            rtol=1e-4,
            atol=0,
        )
        for s in ("train", "val")
    )


def eta_errors(summary: dict) -> tuple[float | None, float | None]:
    """The cost model's relative error on the first epoch's training steps, and the ETA
    after the first epoch minus the seconds the remaining epochs took."""
    first, timings = summary["first_epoch"], summary["timings"]
    model = None if first is None else first["estimated"] / first["measured"] - 1
    after = None
    if len(timings) > 1 and timings[0]["eta"] is not None:
        after = timings[0]["eta"] - (timings[-1]["elapsed"] - timings[0]["elapsed"])
    return model, after


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one pair of the quick case")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads of both")
    args = parser.parse_args()
    case = CASES["quick" if args.quick else "full"]
    repeats = 1 if args.quick else args.repeats
    threads = 1 if args.quick and args.threads is None else args.threads
    env = environment(threads)
    print(f"case {case}, torch threads {threads or 'default'}, load {os.getloadavg()[0]:.2f}")
    overheads, bares, same, errors = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="alignn-nb-train-overhead-") as scratch:
        root = Path(scratch)
        data, config = inputs(root, case)
        for run in range(repeats):
            plain, plain_output = bare(root / f"bare-{run}", data, config, env)
            wall, summary = ours(root / f"ours-{run}", data, config, env)
            overheads.append(wall - plain)
            bares.append(plain)
            same.append(same_history(plain_output, Path(summary["output"])))
            errors.append(eta_errors(summary))
            estimate = (summary["estimate"] or {}).get("seconds", 0.0)
            print(
                f"run {run}: bare {plain:.2f} s, alignn-nb train {wall:.2f} s, "
                f"+{wall - plain:.2f} s (of which the cost model's estimate {estimate:.2f} s)"
            )
    overhead, plain = statistics.median(overheads), statistics.median(bares)
    goal = OVERHEAD_GOAL[0] + OVERHEAD_GOAL[1] * plain
    print(
        f"overhead: median {overhead:.2f} s on a bare {plain:.2f} s "
        f"(goal <= {goal:.2f} s: {'met' if overhead <= goal else 'missed'})"
    )
    print(f"same history as bare train_for_folder (1e-4 relative): {'yes' if all(same) else 'no'}")
    for run, (model, after) in enumerate(errors):
        model_text = "none" if model is None else f"{model:+.0%}"
        after_text = "none" if after is None else f"{after:+.2f} s"
        print(
            f"run {run}: cost model vs first epoch's training steps {model_text}; "
            f"ETA after the first epoch minus the time taken {after_text}"
        )
    return 0 if all(same) else 1


if __name__ == "__main__":
    sys.exit(main())
