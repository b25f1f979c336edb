"""A transmission adapter that takes its time, so a test can kill the worker mid-build."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import IO

from billing.formats import BatchHeader, BatchRecord
from billing.transmission import FileAdapter


class SlowAdapter(FileAdapter):
    def write(self, header: BatchHeader, records: Iterable[BatchRecord], out: IO[bytes]) -> None:
        time.sleep(1.5)
        super().write(header, records, out)
