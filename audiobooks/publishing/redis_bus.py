"""Wakes streams in every web process when any process stores a book event: Redis pub/sub.

Only a wake-up travels through Redis; the event itself is read from the stored log. So a
wake-up lost while Redis is away costs a stream nothing but its next poll of the log
(SSE_POLL_SECONDS), and when the listener reconnects it wakes every stream at once.
"""

import logging
import threading
import time
from collections.abc import Callable

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

CHANNEL_PREFIX = "audiobooks:book-events:"
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0)  # then every 2 s


class RedisEventBus:
    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.Lock()
        self._publisher: redis.Redis | None = None
        self._listener: threading.Thread | None = None

    def announce(self, book_id: int) -> None:
        """Tell every listening process the book has a new event. Never raises: a job must
        not fail because Redis is briefly away; streams still find the event by polling."""
        try:
            with self._lock:
                if self._publisher is None:
                    self._publisher = redis.Redis.from_url(
                        self._url, socket_timeout=2, socket_connect_timeout=2
                    )
                publisher = self._publisher
            publisher.publish(f"{CHANNEL_PREFIX}{book_id}", b"")
        except redis.RedisError as exc:
            logger.warning("could not announce book %s's event on Redis: %s", book_id, exc)

    def listen(self, *, on_event: Callable[[int], None], on_reconnect: Callable[[], None]) -> None:
        """Start (once per process) a daemon thread that calls `on_event(book_id)` for each
        announcement, and `on_reconnect()` each time it (re)subscribes."""
        with self._lock:
            if self._listener is not None:
                return
            self._listener = threading.Thread(
                target=self._listen_forever, args=(on_event, on_reconnect), name="event-bus", daemon=True
            )
        self._listener.start()

    def _listen_forever(self, on_event: Callable[[int], None], on_reconnect: Callable[[], None]) -> None:
        failures = 0
        while True:
            try:
                client = redis.Redis.from_url(
                    self._url, decode_responses=True, socket_connect_timeout=2, health_check_interval=10
                )
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
                if failures:
                    logger.info("event bus: listening on Redis again")
                failures = 0
                on_reconnect()  # wake-ups may have been missed while it was away
                for message in pubsub.listen():
                    book_id = message["channel"][len(CHANNEL_PREFIX) :]
                    if book_id.isdigit():
                        on_event(int(book_id))
            except (redis.RedisError, OSError) as exc:
                if not failures:
                    logger.warning("event bus: lost Redis (%s); streams poll the log meanwhile", exc)
                time.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
                failures += 1


event_bus = RedisEventBus(settings.EVENTS_REDIS_URL) if settings.EVENTS_REDIS_URL else None
