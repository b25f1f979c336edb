"""Participation services, one module per entity: `surveys`, `questions`, `sheets` (answer
sheets), `meetings` (the users' committee and its decisions), `user_requests` (ideas and
requests of users) and `exports` (journaled files of a survey's results)."""
