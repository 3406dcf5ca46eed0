"""The accounts app: sign-in, teams and who may do what."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from accounts.models import Membership

        post_save.connect(_personal_team, sender=get_user_model(), dispatch_uid="personal-team")
        post_delete.connect(_membership_ended, sender=Membership, dispatch_uid="membership-ended")


def _personal_team(sender, instance, created, raw=False, **kwargs):  # type: ignore[no-untyped-def]
    """Every account comes with its own team, however it is made (set-up, the team page, an
    invite, the admin, createsuperuser)."""
    if created and not raw:
        from accounts.teams import personal_team

        personal_team(instance)


def _membership_ended(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
    """However a membership goes (Remove on the team page, leaving, the admin, a script), the
    member's open sockets close once it is committed and reconnect only to what they may
    still see."""
    from django.db import transaction

    from accounts.sockets import announce_access_revoked

    user_id = instance.user_id
    transaction.on_commit(lambda: announce_access_revoked(user_id))
