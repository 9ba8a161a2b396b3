from django.apps import AppConfig


class EmergenciesConfig(AppConfig):
    name = "emergencies"
    verbose_name = "emergencies"
