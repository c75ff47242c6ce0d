"""6. Published events: a book's stored event log, followed live by its streams, which are
woken in this process and across processes."""
