"""A transmission adapter that takes its time, so a test can kill the worker mid-build."""

from __future__ import annotations

import time

from billing.transmission import FileAdapter


class SlowAdapter(FileAdapter):
    def send(self, *, batch_id: int) -> None:
        time.sleep(1.5)
