from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "health"
    verbose_name = "health"

    def ready(self) -> None:
        # Modules that register rule tables and periodic jobs at import.
        from health import rules, tasks  # noqa: F401
