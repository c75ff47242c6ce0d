"""How many event streams each reader holds open in this process (STREAMS_PER_USER), so
one reader cannot take every connection a worker has."""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from django.conf import settings

from audiobooks.errors import BookError, ErrorCode

# A reader who hits the limit has streams open; one of them ending frees a place.
RETRY_SECONDS = 5

_lock = threading.Lock()
_open: Counter[int] = Counter()


def take_stream_place(*, user_id: int) -> None:
    """Count one more open stream for the user, or raise a 429 BookError at the limit."""
    with _lock:
        if _open[user_id] >= settings.STREAMS_PER_USER:
            raise BookError(
                ErrorCode.TOO_MANY_STREAMS,
                "Too many open streams",
                f"You have {_open[user_id]} event streams open here; the limit is"
                f" {settings.STREAMS_PER_USER}. Close one first.",
                retry_after=RETRY_SECONDS,
            )
        _open[user_id] += 1


def give_back_stream_place(*, user_id: int) -> None:
    with _lock:
        _open[user_id] -= 1
        if _open[user_id] <= 0:
            del _open[user_id]


def open_streams(*, user_id: int) -> int:
    with _lock:
        return _open[user_id]


@contextmanager
def stream_place(*, user_id: int) -> Iterator[Callable[[], None]]:
    """Take a place for a stream about to open; yields what gives it back when the stream
    closes. Given back at once if the block fails (the stream never opened)."""
    take_stream_place(user_id=user_id)
    try:
        yield partial(give_back_stream_place, user_id=user_id)
    except BaseException:
        give_back_stream_place(user_id=user_id)
        raise
