import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the demo user (DEMO_USERNAME / DEMO_PASSWORD) if missing, and print how to get a token."

    def handle(self, *args, **options):
        username = os.environ.get("DEMO_USERNAME", "demo")
        password = os.environ.get("DEMO_PASSWORD", "demo-pass-2026")
        users = get_user_model().objects
        if not users.filter(username=username).exists():
            users.create_user(username=username, password=password)
            self.stdout.write(f"Created demo user {username!r}.")
        port = os.environ.get("PORT", "8000")
        self.stdout.write(
            "Get a token:\n"
            f"  curl -s -X POST http://localhost:{port}/api/auth/token/ "
            f"-d username={username} -d password={password}\n"
        )
