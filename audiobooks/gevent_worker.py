"""Whether this process is a gevent worker (gunicorn's `make run` server), where every
request and stream shares one event loop that blocking work must stay off."""

import sys


def in_gevent_worker() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("socket")
