"""Running poppler's and tesseract's programs: spawned, not forked, and waited for with a deadline.

`subprocess` under gunicorn's gevent worker (`make run`, books read in the web process)
forks the whole process for every program it starts, holding the event loop, and every
stream of the process with it, while the kernel copies the page tables: measured 6.3 ms of
CPU a start in a 200 MB gevent process, against 0.14 ms with posix_spawn. A page starts
three to six programs. So programs are started with posix_spawn, in a process group of
their own (a deadline stops all of it), and waited for on a pidfd with poll, which
gevent makes cooperative and a thread blocks on as usual.

The program runs under `sh`, which writes its exit status to a file: under gevent, the
event loop reaps every child that exits (libev's SIGCHLD handler), so waiting for our own
child may find its status already gone.
"""

import os
import select
import signal
import tempfile
from pathlib import Path

# Of a failing program's error output, this much is kept to say why it failed.
STDERR_TAIL_BYTES = 4096
# sh's exit status for a program it could not find.
NOT_FOUND = 127
RUN_AND_RECORD_STATUS = '"$@"; echo $? > "$0"'


class ToolFailed(RuntimeError):
    """The program is missing or exited with an error; the message says which and why."""


class ToolTimedOut(TimeoutError):
    """The program was stopped at its deadline."""


def run_tool(
    command: list[str], *, timeout: float, stdout_path: str | None = None, merge_stderr: bool = False
) -> None:
    """Run `command` to its end within `timeout` seconds, its output into `stdout_path`
    (or nowhere), its error output too with `merge_stderr`. Raises ToolFailed with its last
    line of error output, or ToolTimedOut."""
    with tempfile.TemporaryDirectory(prefix="tool-") as folder:
        status_path, stderr_path = os.path.join(folder, "status"), os.path.join(folder, "stderr")
        write = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        if merge_stderr and stdout_path:
            stderr_path, errors = stdout_path, (os.POSIX_SPAWN_DUP2, 1, 2)
        else:
            errors = (os.POSIX_SPAWN_OPEN, 2, stderr_path, write, 0o600)
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, stdout_path or os.devnull, write, 0o600),
            errors,
        ]
        arguments = ["sh", "-c", RUN_AND_RECORD_STATUS, status_path, *command]
        pid = os.posix_spawn("/bin/sh", arguments, os.environ, file_actions=actions, setpgroup=0)
        if not ended_in_time(pid, timeout=timeout):
            raise ToolTimedOut(f"{command[0]} took longer than {timeout:.3g} s")
        status = Path(status_path).read_text().strip() if os.path.exists(status_path) else ""
        if not status:
            raise ToolFailed(f"{command[0]} ended without an exit status (sh was stopped)")
        if status == str(NOT_FOUND):
            raise ToolFailed(f"{command[0]} is not installed")
        if status != "0":
            raise ToolFailed(f"{command[0]} failed: {last_line(stderr_path) or f'exit status {status}'}")


def tool_output(command: list[str], *, timeout: float, merge_stderr: bool = False) -> str:
    """What `command` writes to its standard output (and error output, `merge_stderr`): run_tool."""
    with tempfile.NamedTemporaryFile(prefix="tool-output-") as output:
        run_tool(command, timeout=timeout, stdout_path=output.name, merge_stderr=merge_stderr)
        return output.read().decode("utf-8", "replace")


def ended_in_time(pid: int, *, timeout: float) -> bool:
    """Wait for the process `pid` leading its own group to end; at `timeout`, kill the
    group and say False. The process is reaped whatever happens (unless the event loop was first)."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True  # it ended and was reaped already
    ended = False
    try:
        # poll, not select: a worker holding a thousand streams has descriptors past
        # select's limit of 1024 ("filedescriptor out of range in select()").
        watch = select.poll()
        watch.register(pidfd, select.POLLIN)
        ended = bool(watch.poll(max(0.0, timeout) * 1000))
    finally:
        if not ended:
            os.killpg(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # the event loop reaped it
        os.close(pidfd)
    return ended


def last_line(path: str) -> str:
    with open(path, "rb") as text:
        text.seek(max(0, text.seek(0, os.SEEK_END) - STDERR_TAIL_BYTES))
        lines = text.read().decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else ""
