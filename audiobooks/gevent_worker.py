"""Whether this process is a gevent worker (gunicorn's `make run` server), where every
request and stream shares one event loop that blocking work must stay off."""

import sys


def in_gevent_worker() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("socket")


def off_the_event_loop(work, *args):
    """`work(*args)` on a real thread when this is a gevent worker, so C code that holds the
    CPU (encoding pixels) does not hold every request and stream with it; here otherwise."""
    if not in_gevent_worker():
        return work(*args)
    import gevent

    return gevent.get_hub().threadpool.apply(work, args)
