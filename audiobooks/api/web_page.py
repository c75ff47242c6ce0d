"""The reference web page at `/`, under a Content-Security-Policy: it runs its own script
and stylesheet and talks to this API only, so an injected tag can neither run nor leak."""

from django.views.generic import TemplateView

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # blob: the page pictures, fetched with the reader's token and shown from memory.
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class WebPageView(TemplateView):
    template_name = "audiobooks/index.html"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response
