#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "centre.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A bad or missing setting: say which, without a traceback (see .env.example).
        sys.stderr.write(f"Configuration invalide : {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
