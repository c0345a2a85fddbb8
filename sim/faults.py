"""The test hook: a run that fails on one seed, as a sweep's failing job would.

Set by the environment, never by the config (a user's schema carries no test hooks):
`CUSTSIM_FAIL_ON_SEED=<seed>` makes the run of that seed fail, and
`CUSTSIM_FAIL_MODE` says how: `raise` (the default) raises RuntimeError, `kill` sends
SIGKILL to the run's own process (a worker that dies, as in an OOM kill), `hang`
sleeps for an hour (a job to interrupt). The sweep tests use it; the runner calls
`fail_if_asked` after building the model.
"""

from __future__ import annotations

import os
import signal
import time

#: the seed whose run fails (unset: none)
FAIL_ON_SEED_ENV = "CUSTSIM_FAIL_ON_SEED"
#: how it fails: raise, kill or hang
FAIL_MODE_ENV = "CUSTSIM_FAIL_MODE"


def fail_if_asked(seed: int) -> None:
    """Fail this run the way `$CUSTSIM_FAIL_MODE` says if `$CUSTSIM_FAIL_ON_SEED` is `seed`."""
    asked = os.environ.get(FAIL_ON_SEED_ENV, "").strip()
    if not asked or int(asked) != seed:
        return
    mode = os.environ.get(FAIL_MODE_ENV, "raise")
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "hang":
        time.sleep(3600)
    raise RuntimeError(f"{FAIL_ON_SEED_ENV}={seed}: injected failure (testing)")
