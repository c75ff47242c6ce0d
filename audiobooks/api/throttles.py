"""Rate limits count operations, not a browser's preflight or a wrong method. The counts are
in the shared cache (settings.CACHES: Redis, or the database)."""

import logging

from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)


class OperationRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle (only views naming a `throttle_scope`), counting only requests for
    a method the view implements: an OPTIONS preflight or a 405 is not an upload."""

    def allow_request(self, request, view) -> bool:
        method = request.method.lower()
        if method == "options" or not hasattr(view, method):
            return True
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # the cache's own errors (Redis away): let it through, not a 500
            logger.warning("rate limit %s not counted: the cache failed (%s)", self.scope, type(exc).__name__)
            return True
