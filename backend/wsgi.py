import io
import logging
import os
import sys

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from audiobooks.upload_checks.body_deadline import with_body_deadline

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
application = with_body_deadline(get_wsgi_application(), seconds=settings.BODY_READ_SECONDS)


def warm_up() -> int:
    """Send one request through the whole stack as gunicorn would, so that a worker loads
    what requests need (the URLconf with every view and serializer, DRF, the JWT library,
    the middleware, the database connection and the user query) while it boots rather
    than on its first real request. Returns the status: 401, as its token names no user."""
    from rest_framework_simplejwt.settings import api_settings as jwt_settings
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken()
    token[jwt_settings.USER_ID_CLAIM] = 0  # ids start at 1: checked, looked up, not found
    host = next((name.lstrip(".") for name in settings.ALLOWED_HOSTS if "*" not in name), "localhost")
    secure = settings.SECURE_SSL_REDIRECT
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/books/",
        "QUERY_STRING": "",
        "SERVER_NAME": host,
        "SERVER_PORT": "443" if secure else "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "HTTP_ACCEPT": "application/json",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_X_FORWARDED_PROTO": "https" if secure else "http",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https" if secure else "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    statuses: list[str] = []
    # The warm-up's own 401 is not worth a warning in the log on every boot.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        body = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
        body.close()  # request_finished: the database connection is let go as after any request
    finally:
        request_log.setLevel(level)
    return int(statuses[0].split()[0])
