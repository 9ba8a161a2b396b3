from django.apps import AppConfig


class SitelogsConfig(AppConfig):
    name = "sitelogs"
    verbose_name = "sitelogs"

    def ready(self) -> None:
        # Registers the rule table "sitelogs.defaults" at import.
        from sitelogs import rules  # noqa: F401
