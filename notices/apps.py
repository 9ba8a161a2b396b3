from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "notices"

    def ready(self) -> None:
        # Modules that register periodic jobs (lib.periodic) at import.
        from notices import receipts, services  # noqa: F401
