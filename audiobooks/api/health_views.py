"""`GET /healthz` (the process answers) and `GET /readyz` (it can take books: every check of
readiness.py passed; 503 naming the failed ones otherwise). Open, unthrottled and
unauthenticated, for load balancers and orchestrators; they say nothing secret."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from audiobooks.readiness import checks_for_web, run_checks


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "alive"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    results = run_checks(checks_for_web())
    ready = all(result.ok for result in results.values())
    return JsonResponse(
        {
            "status": "ready" if ready else "not_ready",
            "checks": {name: result.as_json() for name, result in results.items()},
        },
        status=200 if ready else 503,
    )
