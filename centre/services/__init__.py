"""Writes on the organisation, one module per entity: `staff` (invitations, activation) and
`api_tokens` (personal API tokens). Import the module: `from centre.services import staff`."""
