"""Rate limits count operations, not a browser's preflight or a wrong method."""

from rest_framework.throttling import ScopedRateThrottle


class OperationRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle (only views naming a `throttle_scope`), counting only requests for
    a method the view implements: an OPTIONS preflight or a 405 is not an upload."""

    def allow_request(self, request, view) -> bool:
        method = request.method.lower()
        if method == "options" or not hasattr(view, method):
            return True
        return super().allow_request(request, view)
