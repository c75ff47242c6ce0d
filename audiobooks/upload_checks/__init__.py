"""1. Upload checks: an upload is refused before anything is stored if it is too big or not
a readable PDF within the page limit."""
