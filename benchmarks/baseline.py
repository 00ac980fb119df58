"""The default run's model time against an earlier version of the model, side by side.

A speed-up only means something measured on one machine at one time: the machine's
load drifts by more than most changes gain. So the earlier code is unpacked from the
repository's own history (`git archive`, into a temporary folder) and both versions
run the same default runs in fresh processes, taking turns, and the ratio of their
median model times is reported. `BASELINE` is the last commit before issue 15's speed
work. Outside a git checkout that holds it, the measurement says why it is missing.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

BASELINE = "a9cb13d6eb330a45a8490ace28c95e2e3a4329a8"
ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter with the version under test first on the path: the model
# time of `simulate` for each seed, after one untimed run that warms imports and caches.
_TIMER = """
import json, sys, time
from clustersim.parameters import Parameters
from clustersim.run import simulate
months, seeds = int(sys.argv[1]), [int(s) for s in sys.argv[2:]]
simulate(Parameters(months=months), seed=0)
times = []
for seed in seeds:
    start = time.process_time()
    simulate(Parameters(months=months), seed=seed)
    times.append(time.process_time() - start)
print(json.dumps(times))
"""


def side_by_side(rounds: int, seeds_per_round: int, months: int) -> dict[str, Any]:
    """Median CPU seconds of a default run, now and at `BASELINE`, taking turns."""
    with tempfile.TemporaryDirectory(prefix="clustersim-baseline-") as folder:
        missing = _unpack(BASELINE, Path(folder))
        if missing:
            return {"baseline": BASELINE, "unavailable": missing}
        now: list[float] = []
        then: list[float] = []
        for r in range(rounds):
            seeds = [1 + r * seeds_per_round + k for k in range(seeds_per_round)]
            then += _times(Path(folder), months, seeds)
            now += _times(ROOT, months, seeds)
    return {
        "baseline": BASELINE,
        "months": months,
        "runs": len(now),
        "now_s": now,
        "baseline_s": then,
        "ratio": statistics.median(now) / statistics.median(then),
    }


def _unpack(commit: str, folder: Path) -> str | None:
    """The package as it was at `commit`, in `folder`; or why it cannot be had."""
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit, "clustersim"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        return f"git archive {commit[:7]} failed ({type(error).__name__}): not a full clone?"
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return None


def _times(source: Path, months: int, seeds: list[int]) -> list[float]:
    """Model times of the default run for `seeds`, with `source`'s clustersim."""
    command = [sys.executable, "-c", _TIMER, str(months), *map(str, seeds)]
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(command, capture_output=True, text=True, cwd=source, env=env)
    if done.returncode:
        raise RuntimeError(f"default run at {source} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
