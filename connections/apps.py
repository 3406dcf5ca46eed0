from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class ConnectionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "connections"

    def ready(self) -> None:
        from connections import prices
        from connections.models import ModelPrice
        from connections.startup import sync_after_migrate

        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="env-connections")
        # An edit on the Prices page takes effect at once in the process that served it (and
        # within the cache's minute in the others).
        post_save.connect(prices.forget_cached, sender=ModelPrice, dispatch_uid="price-saved")
        post_delete.connect(prices.forget_cached, sender=ModelPrice, dispatch_uid="price-gone")
