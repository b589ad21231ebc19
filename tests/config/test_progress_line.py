"""``config.commands.progress_line``: the one progress line of commands that wait for a job."""

import io

import pytest
from django.core.management.base import CommandError, OutputWrapper

from config.commands import INTERRUPTED, progress_bar, progress_line


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_is_filled_in_proportion_and_clamped():
    assert progress_bar(0) == f"[{'-' * 30}]   0%"
    assert progress_bar(50) == f"[{'#' * 15}{'-' * 15}]  50%"
    assert progress_bar(130) == f"[{'#' * 30}] 100%"


def test_in_a_log_a_line_is_written_only_when_it_changes():
    out = io.StringIO()

    with progress_line(OutputWrapper(out), interrupted="stopped") as show:
        for line in ("a", "a", "b", "b", "c"):
            show(line)

    assert out.getvalue() == "a\nb\nc\n"


def test_on_a_terminal_the_line_is_redrawn_in_place_then_ended():
    out = Terminal()

    with progress_line(OutputWrapper(out), interrupted="stopped") as show:
        show("long line")
        show("short")

    assert out.getvalue() == "\rlong line\rshort    \n"


def test_ctrl_c_ends_the_line_and_says_the_job_carries_on_with_status_130():
    out = Terminal()
    line = progress_line(OutputWrapper(out), interrupted="Stopped waiting; job 3 carries on.")

    with pytest.raises(CommandError) as stopped, line as show:
        show("50%")
        raise KeyboardInterrupt

    assert (str(stopped.value), stopped.value.returncode) == (
        "Stopped waiting; job 3 carries on.",
        INTERRUPTED,
    )
    assert out.getvalue() == "\r50%\n"
