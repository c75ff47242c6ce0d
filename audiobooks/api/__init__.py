"""7. The HTTP API: thin views over the services (jobs, storage, accounts), serializers,
selectors, the SSE wire format and the error bodies."""
