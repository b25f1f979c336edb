"""Writes to appointments, one module per entity (`booking`, `moves`, `statuses`,
`walk_ins`, `waiting_list`, `schedules`, `consultation_types`, `calendar_feeds`). Each public
function takes the acting user (`by`), checks what it must, writes, audits in the same
transaction and enqueues its tasks on commit. Other apps import the module they need."""
