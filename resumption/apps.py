from django.apps import AppConfig


class ResumptionConfig(AppConfig):
    name = "resumption"
    verbose_name = "resumption"

    def ready(self) -> None:
        # Modules that register rule tables and periodic jobs at import.
        from resumption import clearance, rules, tasks  # noqa: F401
