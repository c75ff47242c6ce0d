"""One URL, one view per operation: `by_method(get=ListView, post=UploadView)`.

Django routes by path only, so a path whose operations are separate views needs a small
dispatcher; `one_operation_per_view` shows each operation's own view to the schema.
"""

from collections.abc import Callable

from rest_framework.views import APIView


def by_method(**views: type[APIView]) -> Callable:
    """The first view also answers HEAD, OPTIONS and the methods no view takes (405, with
    an `Allow` header naming what the path does take)."""
    callbacks = {method.upper(): view.as_view() for method, view in views.items()}
    first = next(iter(callbacks.values()))
    allowed = list(dict.fromkeys(m for view in views.values() for m in view().allowed_methods))

    def dispatch(request, *args, **kwargs):
        response = callbacks.get(request.method, first)(request, *args, **kwargs)
        if request.method not in callbacks and response.status_code == 405:
            response["Allow"] = ", ".join(allowed)
        return response

    dispatch.csrf_exempt = True
    dispatch.views_by_method = callbacks
    # What the schema generator looks for in a DRF route; the hook below does the rest.
    dispatch.cls, dispatch.initkwargs = first.cls, {}
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
