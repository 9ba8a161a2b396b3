from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "training"

    def ready(self) -> None:
        # Registers the training check of the clearance pass.
        from training import clearance  # noqa: F401
