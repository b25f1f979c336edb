"""Writes of the billing app, one module per entity (`invoices`, `payments`, `claims`,
`batches`, `returns`, `tariffs`). Each public function takes the acting user (`by`), checks
what that person may do to that object, applies the rules, writes and journals in one
transaction, and enqueues its tasks on commit. Import the module:
`from billing.services import invoices` then `invoices.invoice_create(...)`."""
