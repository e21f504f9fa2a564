"""Kill -9 tests' common step: run a writer child until it has saved, then SIGKILL it somewhere in a later save."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time


def kill_during_saves(args: list[str], rng: random.Random, *, max_delay_s: float = 0.6) -> int:
    """Run ``python <args>`` (a writer printing ``committed N`` after each save), wait for its first save, kill it
    after a random delay up to ``max_delay_s``; the N of the last save it reported complete."""
    child = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, text=True)
    first = child.stdout.readline()  # at least one save complete in this round
    assert first.startswith("committed"), first
    time.sleep(rng.uniform(0.0, max_delay_s))
    child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate(timeout=60)
    return int([first, *rest.splitlines()][-1].split()[1])
