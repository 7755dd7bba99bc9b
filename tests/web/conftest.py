"""Fixtures for the web UI tests: log in as a demo role."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs

from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD


@pytest.fixture
def login_as(client: FlaskClient, seeded: Db) -> LoginAs:
    """Log the test client in as one of the demo roles (admin, coordinator, ...)."""

    def _login(role: str) -> FlaskClient:
        response = client.post(
            "/login", data={"email": DEMO_LOGINS[role], "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login
