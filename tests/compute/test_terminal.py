"""The terminal drawer: a redrawn bar on a TTY, throttled plain lines on a pipe, the final
line always; and follow's Ctrl-C, which stops the job."""

from __future__ import annotations

import _thread
import io
import threading

import pytest

from alignn_nb.compute import (
    Progress,
    SubprocessJob,
    TerminalBar,
    ThreadJob,
    follow,
    format_duration,
)
from alignn_nb.compute.terminal import format_progress, format_rate
from tests.support import tasks
from tests.support.jobs import HANG_GUARD


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def _scan(clock):
    """A task counting 100 structures in four steps of a second, then saying so."""

    def scan(ctx):
        for i in range(1, 5):
            clock.advance(1.0)
            ctx.report(25 * i, 100, unit="structures")
        ctx.message("all counted")
        return "rows"

    return scan


def test_a_pipe_gets_one_line_per_update_at_most_every_interval_and_the_final_line(clock):
    job = ThreadJob(_scan(clock), name="scan", clock=clock)
    stream = io.StringIO()
    follow(job, stream, clock=clock)
    assert stream.getvalue().splitlines() == [
        "scan: started in a thread of this process",
        "scan: 50/100 structures (50%) · 25 structures/s · ETA 2.0 s",
        "scan: 100/100 structures (100%) · 25 structures/s",
        "scan: done in 4.0 s · 100/100 structures (100%) · all counted",
    ]


def test_a_tty_gets_one_bar_redrawn_in_place_and_the_final_line(clock):
    job = ThreadJob(_scan(clock), name="scan", clock=clock)
    stream = FakeTTY()
    follow(job, stream, clock=clock, columns=200)
    bar = "\r[{}] {}/100 structures ({}%) · 25 structures/s{}\x1b[K"
    assert stream.getvalue() == "".join(
        [
            "\rscan: started in a thread of this process\x1b[K",
            "\rscan: " + bar[1:].format("#####" + "-" * 15, 25, 25, " · ETA 3.0 s"),
            "\rscan: " + bar[1:].format("#" * 10 + "-" * 10, 50, 50, " · ETA 2.0 s"),
            "\rscan: " + bar[1:].format("#" * 15 + "-" * 5, 75, 75, " · ETA 1.0 s"),
            "\rscan: " + bar[1:].format("#" * 20, 100, 100, ""),
            "\rscan: done in 4.0 s · 100/100 structures (100%) · all counted\x1b[K\n",
        ]
    )


def test_a_tty_line_is_cut_to_the_terminal_width(clock):
    job = ThreadJob(lambda ctx: ctx.message("x" * 100), name="long", clock=clock)
    stream = FakeTTY()
    follow(job, stream, interval=0, clock=clock, columns=30)
    drawn = stream.getvalue().split("\r")[2]
    assert drawn == "long: 0 · " + "x" * 19 + "\x1b[K"


def test_the_final_line_of_a_failed_job_names_its_error(clock):
    stream = io.StringIO()
    follow(ThreadJob(tasks.refuse, (7,), clock=clock), stream, clock=clock)
    assert stream.getvalue().splitlines()[-1] == "job: failed after 0.0 s: ValueError: bad value 7"


def test_without_its_failure_line_a_failed_job_leaves_the_error_to_the_caller(clock):
    stream = io.StringIO()
    job = follow(ThreadJob(tasks.refuse, (7,), clock=clock), stream, clock=clock,
                 failure_line=False)  # fmt: skip
    assert (job.state, str(job.error)) == ("failed", "ValueError: bad value 7")
    assert "failed" not in stream.getvalue()


def test_a_bar_on_a_finished_job_draws_only_the_final_line(clock):
    job = ThreadJob(tasks.count_to, (2,), name="count", clock=clock)
    job.start().wait(HANG_GUARD)
    stream = io.StringIO()
    TerminalBar(job, stream, clock=clock)
    assert stream.getvalue() == "count: done in 0.0 s · 2/2 steps (100%) · counted to 2\n"


def test_a_closed_bar_draws_nothing_more(clock):
    job = ThreadJob(tasks.count_to, (2,), clock=clock)
    stream = io.StringIO()
    TerminalBar(job, stream, interval=0, clock=clock).close()
    job.start().wait(HANG_GUARD)
    assert stream.getvalue() == ""


def test_closing_a_tty_bar_ends_its_line(clock):
    gate, drawn = threading.Event(), threading.Event()
    job = ThreadJob(lambda ctx: (ctx.report(1, 2), gate.wait(HANG_GUARD)), name="half", clock=clock)
    stream = FakeTTY()
    bar = TerminalBar(job, stream, interval=0, columns=200, clock=clock)
    job.observe(lambda change: drawn.set(), names="progress")
    job.start()
    assert drawn.wait(HANG_GUARD)
    bar.close()
    gate.set()
    job.wait(HANG_GUARD)
    assert (
        stream.getvalue().split("\r")[-1] == "half: [" + "#" * 10 + "-" * 10 + "] 1/2 (50%)\x1b[K\n"
    )


def test_a_child_process_job_draws_the_same_way(clock):
    stream = io.StringIO()
    job = SubprocessJob(tasks.count_to, (3,), name="count", clock=clock)
    follow(job, stream, interval=0, clock=clock)
    assert stream.getvalue().splitlines() == [
        "count: started in a child process",
        "count: 1/3 steps (33%)",
        "count: 2/3 steps (67%)",
        "count: 3/3 steps (100%)",
        "count: 3/3 steps (100%) · counted to 3",
        "count: done in 0.0 s · 3/3 steps (100%) · counted to 3",
    ]


def _interrupt_then_wait(ctx, times: int, gate: threading.Event):
    """Ctrl-C the main thread ``times`` times, the second after the stop; then wait."""
    _thread.interrupt_main()
    ctx.stop_event.wait(HANG_GUARD)
    if times > 1:
        _thread.interrupt_main()
        gate.wait(HANG_GUARD)
    return "saw the stop" if ctx.stopping else "gave up"


def test_ctrl_c_during_follow_stops_the_job_and_waits_for_it(clock):
    job = ThreadJob(_interrupt_then_wait, (1, threading.Event()), name="run", clock=clock)
    stream = io.StringIO()
    assert follow(job, stream, clock=clock) is job
    assert (job.state, job.result) == ("stopped", "saw the stop")
    assert stream.getvalue().splitlines()[-1] == "run: stopped after 0.0 s"


def test_a_second_ctrl_c_gives_up_waiting_for_the_stopping_job(clock):
    gate = threading.Event()
    job = ThreadJob(_interrupt_then_wait, (2, gate), clock=clock)
    with pytest.raises(KeyboardInterrupt):
        follow(job, io.StringIO(), clock=clock)
    assert job.stopping and job.state == "running"
    gate.set()
    assert job.wait(HANG_GUARD)
    assert job.state == "stopped"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.04, "0.0 s"), (4.25, "4.2 s"), (42.4, "42 s"), (125, "2:05"), (3725, "1:02:05")],
)
def test_durations_read_as_seconds_then_minutes_then_hours(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("rate", "unit", "text"),
    [
        (0.0213, "epochs", "0.0213 epochs/s"),
        (45.06, "", "45.1/s"),
        (12345.6, "rows", "12346 rows/s"),
    ],
)
def test_rates_keep_three_digits_and_whole_thousands(rate, unit, text):
    assert format_rate(rate, unit) == text


def test_progress_without_a_total_shows_the_count_and_the_rate():
    assert format_progress(Progress(40, None, "rows", rate=8.0)) == "40 rows · 8 rows/s"


def _epochs(clock):
    """A task of three epochs, each an event and a report."""

    def train(ctx):
        for epoch in range(1, 4):
            clock.advance(1.0)
            ctx.emit("epoch", {"line": f"epoch {epoch}/3"})
            ctx.report(epoch, 3, unit="epochs")
        ctx.emit("note", None)
        return "trained"

    return train


def _echo(event):
    return event.data["line"] if event.kind == "epoch" else None


def test_echo_prints_every_event_line_and_an_infinite_interval_only_the_ends(clock):
    stream = io.StringIO()
    job = ThreadJob(_epochs(clock), name="train", clock=clock)
    follow(job, stream, clock=clock, interval=float("inf"), echo=_echo)
    assert stream.getvalue().splitlines() == [
        "train: started in a thread of this process",
        "epoch 1/3",
        "epoch 2/3",
        "epoch 3/3",
        "train: done in 3.0 s · 3/3 epochs (100%)",
    ]


def test_echo_on_a_tty_prints_above_the_bar_and_draws_the_bar_again(clock):
    stream = FakeTTY()
    job = ThreadJob(_epochs(clock), name="train", clock=clock)
    follow(job, stream, clock=clock, columns=200, echo=_echo)
    text = stream.getvalue()
    started = "\rtrain: started in a thread of this process\x1b[K"
    assert text.startswith(started + "\repoch 1/3\x1b[K\n" + started)
    assert "\repoch 2/3\x1b[K\n\rtrain: [" + "#" * 6 + "-" * 14 + "] 1/3 epochs (33%)" in text
    assert text.endswith("\rtrain: done in 3.0 s · 3/3 epochs (100%)\x1b[K\n")


def test_a_rate_of_nothing_done_is_left_out():
    assert format_progress(Progress(0, 3, "epochs", rate=0.0, eta=6.0)) == (
        "0/3 epochs (0%) · ETA 6.0 s"
    )
    assert format_progress(Progress(1, 3, "epochs", rate=0.0)) == "1/3 epochs (33%) · 0 epochs/s"
