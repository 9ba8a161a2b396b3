from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = "notify"

    def ready(self) -> None:
        # Registers the periodic retry sweep (lib.periodic) at import.
        from notify import tasks  # noqa: F401
