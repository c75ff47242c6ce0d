"""Facts read from the project's own files, for tests that keep them consistent."""

import re

from tests.support.live_server import ROOT


def environment_variables_read() -> set[str]:
    """Every environment variable the settings, gunicorn config or app code reads."""
    sources = [ROOT / "backend/settings.py", ROOT / "gunicorn.conf.py", *ROOT.glob("audiobooks/**/*.py")]
    names = set()
    for path in sources:
        names |= set(
            re.findall(
                r"""(?:env_\w+|environ\.get|environ\.setdefault)\(\s*["']([A-Z_]+)["']""", path.read_text()
            )
        )
    assert names, "no environment variables found: the pattern is out of date"
    return names


def makefile_recipe(target: str) -> str:
    """The recipe lines of a Makefile target, joined."""
    match = re.search(rf"^{target}:[^\n]*\n((?:\t[^\n]*\n)+)", (ROOT / "Makefile").read_text(), flags=re.M)
    assert match, f"no `{target}` target in the Makefile"
    return match.group(1)
