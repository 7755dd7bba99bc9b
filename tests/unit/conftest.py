"""tests/unit holds pure tests: no database, no server, no Flask app. A test here that asks
for one of those fixtures fails at once, so it goes to tests/integration or tests/web instead."""

from __future__ import annotations

import pytest

NOT_PURE = frozenset(
    {"database_url", "settings", "app", "client", "db", "seeded", "login_as"}
    | {"smtp_sink", "xandikos", "radicale", "cyrus", "server", "browser"}
)


def pytest_runtest_setup(item: pytest.Item) -> None:
    wanted = NOT_PURE.intersection(getattr(item, "fixturenames", ()))
    if wanted:
        pytest.fail(f"{item.nodeid} is in tests/unit but uses {sorted(wanted)}", pytrace=False)
