"""The refusal of the billing app (a `centre.refusals.Refusal`)."""

from __future__ import annotations

from centre.refusals import Refusal


class BillingError(Refusal):
    """A billing operation that cannot be done; the message is French, for the user."""
