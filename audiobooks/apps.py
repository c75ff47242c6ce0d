from django.apps import AppConfig


class AudiobooksConfig(AppConfig):
    name = "audiobooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from audiobooks.accounts import on_failed_sign_in

        user_login_failed.connect(on_failed_sign_in, dispatch_uid="audiobooks.failed-sign-in")
