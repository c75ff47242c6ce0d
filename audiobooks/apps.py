from django.apps import AppConfig


class AudiobooksConfig(AppConfig):
    name = "audiobooks"
    default_auto_field = "django.db.models.BigAutoField"
