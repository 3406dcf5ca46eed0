"""The accounts app: sign-in, teams and who may do what."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        post_save.connect(_personal_team, sender=get_user_model(), dispatch_uid="personal-team")


def _personal_team(sender, instance, created, raw=False, **kwargs):  # type: ignore[no-untyped-def]
    """Every account comes with its own team, however it is made (set-up, the team page, an
    invite, the admin, createsuperuser)."""
    if created and not raw:
        from accounts.teams import personal_team

        personal_team(instance)
