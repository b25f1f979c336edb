"""Who may do what in participation: each role gets only what its work needs (least privilege,
the minimisation of RGPD art. 5.1.c and 25; table in docs/participation.md, « Qui fait quoi »).
The services check these roles themselves (`errors.check_role`), the pages and the API first.

- direction, mediation: build questionnaires, open/close them, see results and exports, keep
  the users' committee (meetings, decisions, ideas and requests);
- collecte (volunteer inhabitants): the entry form of the surveys open for entry, nothing else;
- accueil, soignant, facturation: nothing here;
- anyone with a survey's public link (no account): that survey's answer form.
"""

from __future__ import annotations

from centre.roles import Role

BUILD = (Role.DIRECTION, Role.MEDIATION)
ENTRY = (Role.COLLECTE, Role.MEDIATION, Role.DIRECTION)
COMMITTEE = (Role.DIRECTION, Role.MEDIATION)
DIRECTION_PANEL = (Role.DIRECTION,)
