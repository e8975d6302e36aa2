"""Progress bars: shown to a person at a terminal, silent otherwise, never garbling log lines."""

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap

import pytest

from xorjax.output import progress


def test_silent_when_output_is_not_a_terminal(capsys, monkeypatch):
    monkeypatch.delenv("XORJAX_PROGRESS", raising=False)
    assert not progress.enabled()  # pytest's captured streams are not terminals
    with progress.bar(total=3, desc="sweep", unit="chunk") as advance:
        for _ in range(3):
            advance(1)
    assert capsys.readouterr() == ("", "")


@pytest.mark.floors
def test_forced_on_it_counts_every_advance(capsys, monkeypatch):
    monkeypatch.setenv("XORJAX_PROGRESS", "1")
    with progress.bar(total=10, desc="sweep", unit="chunk") as advance:
        advance(4)
        advance(6)
    err = capsys.readouterr().err
    assert "sweep" in err and "10/10" in err and "chunk" in err


@pytest.mark.parametrize("value", ["0", "off", "false"])
def test_forced_off_beats_a_terminal(monkeypatch, value):
    monkeypatch.setenv("XORJAX_PROGRESS", value)
    assert not progress.enabled()


def test_silent_inside_a_parallel_multirun_worker(monkeypatch):
    class Worker:
        name = "LokyProcess-1"  # joblib's workers; multiprocessing's are "Process-N" / "ForkPoolWorker-N"

    monkeypatch.delenv("XORJAX_PROGRESS", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress.enabled()
    monkeypatch.setattr(progress.multiprocessing, "current_process", lambda: Worker())
    assert not progress.enabled()


def test_show_false_is_silent_even_when_forced_on(capsys, monkeypatch):
    monkeypatch.setenv("XORJAX_PROGRESS", "1")
    with progress.bar(total=2, desc="sweep", unit="chunk", show=False) as advance:
        advance(2)
    assert capsys.readouterr() == ("", "")


# Hydra's console handler writes plain messages to stdout, as configured in conf/config.yaml.
CHILD = textwrap.dedent("""
    import logging, sys, time
    from xorjax.output import progress
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    log = logging.getLogger("sweep")
    with progress.bar(total=5, desc="chunks", unit="chunk") as advance:
        for i in range(5):
            log.info(f"log line {i} of 5")
            advance(1)
    log.info("after the bar")
""")


def test_on_a_terminal_the_bar_shows_and_log_lines_stay_whole():
    """Runs a child on a pseudo-terminal, as a person would see it: every log line must start at the
    beginning of a cleared line, never glued to the bar."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    env = {k: v for k, v in os.environ.items() if k != "XORJAX_PROGRESS"}
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    screen = b"".join(chunks).decode()
    assert "chunks" in screen and "5/5" in screen  # the bar was drawn, to the end
    for message in [f"log line {i} of 5" for i in range(5)] + ["after the bar"]:
        before = screen[: screen.index(message)]
        line = before[before.rfind("\n") + 1 :]
        # What is left on the line before the message, once carriage returns are honoured, is blank.
        assert line.split("\r")[-1].strip() == "", repr(line)
