"""Every write to patient data, one module per entity: `identity` (register, correct),
`coverage` (rights), `duplicates` (merge, "not duplicates" marks), `gdpr` (export,
anonymisation). Each public function takes the acting user (`by`), checks what that person may
do, applies the rules, writes and journals in one transaction. Import the module, e.g.
`from patients.services import identity` then `identity.patient_register(...)`."""
