"""The seam where a certified transmission service (SESAM-Vitale / B2 via a homologated
concentrator) would plug in. Passerelle ships only the file adapter: the batch file is
written in Passerelle's documented format and deposited by the clerk."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from billing.formats import BATCH_VERSION, BatchHeader, BatchRecord, batch_lines


class TransmissionAdapter(Protocol):
    """What a transmission service must provide."""

    format_version: str

    def write(self, header: BatchHeader, records: Iterable[BatchRecord], out: IO[bytes]) -> None:
        """Write the batch to `out`, streaming the records."""

    def send(self, *, batch_id: int) -> None:
        """Hand the written batch to the payer (or to the concentrator); raise on failure."""


class FileAdapter:
    """Writes « PASSERELLE-LOT » v1 files; sending means the file is ready to download."""

    format_version = f"PLOT-{BATCH_VERSION}"

    def write(self, header: BatchHeader, records: Iterable[BatchRecord], out: IO[bytes]) -> None:
        for line in batch_lines(header, records):
            out.write(line.encode("utf-8"))

    def send(self, *, batch_id: int) -> None:
        return None


def get_adapter() -> TransmissionAdapter:
    path = getattr(settings, "BILLING_TRANSMISSION_ADAPTER", "billing.transmission.FileAdapter")
    adapter: TransmissionAdapter = import_string(path)()
    return adapter
