"""One URL, one view per operation: `by_method(get=ListView, post=UploadView)`.

Django routes by path only, so a path whose operations are separate views needs a small
dispatcher; `one_operation_per_view` shows each operation's own view to the schema.
"""

from collections.abc import Callable
from functools import wraps

from rest_framework.views import APIView


def by_method(**views: type[APIView]) -> Callable:
    """The first view also answers HEAD, OPTIONS and the methods no view takes (405); every
    answer's `Allow` names what the path takes, as one view's would."""
    callbacks = {method.upper(): view.as_view() for method, view in views.items()}
    first = next(iter(callbacks.values()))
    allow = ", ".join(
        method.upper()
        for method in APIView.http_method_names
        if method.upper() in callbacks or method == "options" or (method == "head" and "GET" in callbacks)
    )

    @wraps(first)
    def dispatch(request, *args, **kwargs):
        response = callbacks.get(request.method, first)(request, *args, **kwargs)
        response["Allow"] = allow
        return response

    dispatch.views_by_method = callbacks
    return dispatch


def one_operation_per_view(endpoints: list[tuple]) -> list[tuple]:
    """drf-spectacular preprocessing hook: a `by_method` path is listed once per method,
    each with the view that serves it."""
    listed, seen = [], set()
    for path, path_regex, method, callback in endpoints:
        views = getattr(callback, "views_by_method", None)
        if views is None:
            listed.append((path, path_regex, method, callback))
        elif path not in seen:
            seen.add(path)
            listed += [(path, path_regex, each, view) for each, view in views.items()]
    return listed
