#!/bin/bash
cd /work/lead && DATABASE_URL=postgres://postgres@127.0.0.1:5432/passerelle_lead PASSERELLE_ENV=test REDIS_URL=redis://127.0.0.1:6379/10 DJANGO_ALLOW_ASYNC_UNSAFE=true /work/main/.venv/bin/pytest "$@"
