"""Every write of outreach data, one module per entity (`places`, `permanences`,
`sessions`, `persons`, `files`, `referrals`, `collective_actions`; `base` holds the refusal
type). Each public function takes the acting user (`by`) and keyword-only arguments, and owns
the object-level permission check (`Forbidden`), the rules (`OutreachError`, French messages
per field, "" for the whole form), the write and its audit entry in one transaction. Nothing
is saved when one is raised. Reads go through `outreach.selectors`.
"""
