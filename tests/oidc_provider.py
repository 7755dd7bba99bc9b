"""A real OpenID Connect provider for the single sign-on tests: panva's oidc-provider (npm,
certified) run by node from tests/oidc/provider.mjs on a socket the test binds and hands over.

Static clients ``dorren-in`` and ``other-app`` and static accounts with a ``groups`` claim
(``anna``, ``bo``, ``cia``, ``dan``, ``eva``; password ``test-password``); its login page is
one small form that plain HTTP (:func:`authorize`) and Chromium can fill in. `make test` runs
``npm ci`` in tests/oidc first (the Makefile's web-test-deps).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from caldav_servers import listening_socket

HERE = Path(__file__).resolve().parent / "oidc"
SCRIPT = HERE / "provider.mjs"
PASSWORD = "test-password"
CLIENT_ID = "dorren-in"
CLIENT_SECRET = "dorren-in-secret"
OTHER_CLIENT_ID = "other-app"
OTHER_CLIENT_SECRET = "other-app-secret"


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@dataclass
class OidcProvider:
    redirect_uris: list[str]
    logout_uris: list[str] = field(default_factory=list)
    issuer_name: str = ""  # the issuer it names itself; default its own URL
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return self.issuer_name or self.url

    def start(self, log: Path) -> None:
        node = shutil.which("node")
        if node is None or not (HERE / "node_modules" / "oidc-provider").exists():
            pytest.fail(
                "node or oidc-provider is missing: run `make web-test-deps` (make test does)."
            )
        sock = listening_socket()
        self.port = int(sock.getsockname()[1])
        env = {
            **os.environ,
            "LISTEN_FD": str(sock.fileno()),
            "REDIRECT_URIS": ",".join(self.redirect_uris),
            "LOGOUT_URIS": ",".join(self.logout_uris),
            "ISSUER": self.issuer_name,
        }
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [node, str(SCRIPT)],
                cwd=HERE,
                stdout=subprocess.PIPE,
                stderr=out,
                env=env,
                pass_fds=(sock.fileno(),),
            )
        sock.close()  # the provider holds it now
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening"):
            stop_process(self.proc)
            raise RuntimeError(f"the OIDC provider did not start: {line!r} (log {log})")

    def stop(self) -> None:
        stop_process(self.proc)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None

    def metadata(self) -> dict[str, object]:
        data: dict[str, object] = requests.get(
            f"{self.url}/.well-known/openid-configuration", timeout=10
        ).json()
        return data


def start_provider(
    tmp: Path, redirect_uris: list[str], logout_uris: list[str], issuer_name: str = ""
) -> OidcProvider:
    provider = OidcProvider(redirect_uris, logout_uris, issuer_name)
    provider.start(tmp / "oidc-provider.log")
    return provider


def authorize(
    url: str,
    login: str,
    *,
    redirect_prefix: str,
    http: requests.Session | None = None,
    password: str = PASSWORD,
) -> str:
    """Sign in at the provider as ``login`` through its login page, by plain HTTP, starting
    from the authorization URL; returns the URL it sends the browser back to (the callback)."""
    if http is None:
        with requests.Session() as own:
            return authorize(
                url, login, redirect_prefix=redirect_prefix, http=own, password=password
            )
    response = http.get(url, allow_redirects=False, timeout=10)
    for _ in range(12):
        if response.status_code in (302, 303):
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(redirect_prefix):
                return location
            response = http.get(location, allow_redirects=False, timeout=10)
        elif response.status_code == 200 and 'name="login"' in response.text:
            action = re.search(r'action="([^"]+)"', response.text)
            assert action, response.text
            response = http.post(
                urljoin(response.url, action.group(1)),
                data={"login": login, "password": password},
                allow_redirects=False,
                timeout=10,
            )
        else:
            raise AssertionError(
                f"{response.status_code} from {response.url}: {response.text[:400]}"
            )
    raise AssertionError("too many redirects at the provider")
