"""App config of Django's admin with Passerelle's site (kept out of centre/apps.py, where a
second AppConfig would make Django hesitate over the centre app's default config)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as BaseAdminConfig


class AdminConfig(BaseAdminConfig):
    """Django's admin with Passerelle's site (centre/admin_site.py: login through allauth,
    TOTP required)."""

    default_site = "centre.admin_site.PasserelleAdminSite"

    def ready(self) -> None:
        super().ready()
        # djangorestframework-api-key registers its own concrete APIKey model, which
        # Passerelle does not use (its tokens are centre.ApiToken): hidden from the admin.
        from rest_framework_api_key.models import APIKey

        if admin.site.is_registered(APIKey):
            admin.site.unregister(APIKey)
