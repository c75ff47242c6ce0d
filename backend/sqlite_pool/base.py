"""Django's SQLite backend with its connections kept open for the next request.

Under gevent every request is a greenlet with a connection of its own, opened at its first
query and closed at its end. Opening one (sqlite3.connect, the SQL functions Django
registers, the PRAGMAs) took 0.66 ms here, three times a primary-key query: a thousand
streams opening at once spent more on it than on anything they asked. Closed connections go
back to a small pool of this process instead, and the next greenlet takes one.
"""

import os

from django.db.backends.sqlite3 import base

# Idle connections kept per database file; more than this are closed for real.
POOL_SIZE = 16


class DatabaseWrapper(base.DatabaseWrapper):
    _idle: dict[tuple[int, str], list] = {}  # (pid, database file) → open connections
    _opened_as: tuple[int, str] | None = None  # the current connection's pool key

    def _pool_key(self) -> tuple[int, str]:
        # The pid too: a SQLite connection must not cross a fork.
        return os.getpid(), str(self.settings_dict["NAME"])

    def get_new_connection(self, conn_params):
        self._opened_as = self._pool_key()
        if not self.is_in_memory_db():
            try:
                return self._idle.setdefault(self._opened_as, []).pop()
            except IndexError:
                pass
        return super().get_new_connection(conn_params)

    def _close(self) -> None:
        # Closed for real: inside an atomic block (Django keeps its reference to the closed
        # connection, so it must not go to another greenlet), after a database error (it may
        # be unusable), or when it was opened in another process or on another file.
        key = self._pool_key()
        if (
            self.connection is None
            or self.in_atomic_block
            or self.errors_occurred
            or self.is_in_memory_db()
            or key != self._opened_as
        ):
            return super()._close()
        pool = self._idle.setdefault(key, [])
        if len(pool) >= POOL_SIZE:
            return super()._close()
        try:
            if self.connection.in_transaction:
                self.connection.rollback()
        except base.Database.Error:
            return super()._close()
        pool.append(self.connection)
