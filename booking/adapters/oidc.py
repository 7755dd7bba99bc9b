"""OpenID Connect client: the network part of single sign-on (Authlib for the OAuth 2.0
requests, joserfc for the JSON Web Keys and signatures).

- **Discovery**: ``<issuer>/.well-known/openid-configuration``, read once and kept; the issuer
  it names must be the configured one (OpenID Connect Discovery §4.3).
- **Authorization code flow with PKCE** (S256), ``state`` and ``nonce``: :meth:`begin` makes
  the three secrets and the provider's URL; the caller keeps them (in the signed session
  cookie) for :meth:`finish`.
- **Token exchange** with the client secret, then the **ID token checks**
  (:func:`check_id_token`): signature by a key of the provider's JWKS (fetched again once when
  the key id is new: key rotation), issuer, audience (and ``azp`` when there are several),
  expiry and issue time against the service's clock (never this machine's wall clock), and the
  nonce. Any failure raises ``SsoRefused`` with a stable reason.
- **RP-initiated logout**: :meth:`end_session_url` when the provider has an
  ``end_session_endpoint``.
"""

from __future__ import annotations

import json
import threading
from base64 import urlsafe_b64decode
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from booking.services.access.sso import AuthRequest, Identity, SsoRefused

# Clocks of the provider and the service may differ this much (seconds).
LEEWAY_SECONDS = 60
# Signature algorithms accepted for ID tokens (never "none", never a MAC with the secret).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    groups_claim: str = "groups"
    timeout: float = 10.0

    @property
    def scope(self) -> str:
        """The scopes asked for, ``openid`` always among them, each once."""
        parts = ["openid", *self.scopes.split()]
        return " ".join(dict.fromkeys(parts))


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


def check_id_token(
    raw: str,
    *,
    keys: KeySet,
    issuer: str,
    client_id: str,
    nonce: str,
    now: datetime,
    leeway: int = LEEWAY_SECONDS,
) -> dict[str, Any]:
    """The claims of ``raw`` when it is an ID token for this client from this issuer, signed by
    one of ``keys``, valid at ``now``, for this ``nonce``; else SsoRefused."""
    try:
        token = jwt.decode(raw, keys, algorithms=ALGORITHMS)
    except JoseError as exc:
        raise SsoRefused("bad_signature", f"the ID token's signature does not hold: {exc}") from exc
    except ValueError as exc:
        raise SsoRefused("bad_token", f"the ID token cannot be read: {exc}") from exc
    claims: dict[str, Any] = dict(token.claims)
    if claims.get("iss") != issuer:
        raise SsoRefused(
            "wrong_issuer", f"the ID token is from {claims.get('iss')!r}, expected {issuer!r}"
        )
    audience = _as_list(claims.get("aud"))
    if client_id not in audience:
        raise SsoRefused(
            "wrong_audience", f"the ID token is for {audience!r}, not for {client_id!r}"
        )
    if len(audience) > 1 and claims.get("azp") != client_id:
        raise SsoRefused("wrong_audience", f"the ID token was issued to {claims.get('azp')!r}")
    stamp = now.timestamp()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp + leeway < stamp:
        raise SsoRefused("expired", f"the ID token expired (exp {exp}, now {int(stamp)})")
    if not isinstance(iat, int | float) or iat - leeway > stamp:
        raise SsoRefused("not_yet_valid", f"the ID token is issued in the future (iat {iat})")
    if not nonce or claims.get("nonce") != nonce:
        raise SsoRefused("nonce_mismatch", "the ID token's nonce is not this sign-in's")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise SsoRefused("bad_token", "the ID token names no subject")
    return claims


def identity_from_claims(claims: Mapping[str, Any], groups_claim: str) -> Identity:
    """Who the claims name: ``email`` (Entra ID without the optional email claim:
    ``preferred_username`` when it is an address), ``name``, and the groups claim."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or claims.get("email_verified") is False:
        username = claims.get("preferred_username") or claims.get("upn")
        email = username if isinstance(username, str) and "@" in username else ""
    name = claims.get("name")
    return Identity(
        subject=str(claims["sub"]),
        email=email,
        name=name if isinstance(name, str) else "",
        groups=tuple(_as_list(claims.get(groups_claim))),
    )


def _kid(raw: str) -> str | None:
    """The key id in the token's header, or None (an unreadable token: check_id_token says
    what is wrong with it)."""
    try:
        header = json.loads(urlsafe_b64decode(raw.split(".", 1)[0] + "==="))
    except (ValueError, UnicodeDecodeError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


class OidcClient:
    """The identity provider as the sign-in views need it (booking.services.access.sso's
    IdentityProvider port). One per app; discovery and keys are kept, thread-safe."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    # ------------------------------------------------------------ discovery and keys

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=self.config.timeout)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, json.JSONDecodeError) as exc:
            raise SsoRefused("provider_unreachable", f"{url}: {exc}") from exc
        if not isinstance(data, dict):
            raise SsoRefused("provider_unreachable", f"{url}: not a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
                data = self._get_json(url)
                if data.get("issuer") != self.config.issuer:
                    raise SsoRefused(
                        "wrong_issuer",
                        f"the provider at {url} names itself {data.get('issuer')!r}, "
                        f"OIDC_ISSUER is {self.config.issuer!r}",
                    )
                for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(data.get(key), str):
                        raise SsoRefused("provider_unreachable", f"{url} names no {key}")
                self._metadata = data
            return self._metadata

    def _key_set(self, refresh: bool = False) -> KeySet:
        uri = self.metadata()["jwks_uri"]
        with self._lock:
            if self._keys is None or refresh:
                try:
                    self._keys = KeySet.import_key_set(self._get_json(uri))  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError) as exc:
                    raise SsoRefused("provider_unreachable", f"{uri}: {exc}") from exc
            return self._keys

    def _keys_for(self, raw: str) -> KeySet:
        """The provider's keys, fetched again once when the token names a key id we lack."""
        keys = self._key_set()
        kid = _kid(raw)
        if kid and all(k.kid != kid for k in keys):
            keys = self._key_set(refresh=True)
        return keys

    # ------------------------------------------------------------ the flow

    def _session(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            self.config.client_id,
            self.config.client_secret,
            scope=self.config.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=self.config.timeout,
        )

    def begin(self, redirect_uri: str) -> AuthRequest:
        """The provider's sign-in URL with fresh state, nonce and PKCE verifier."""
        endpoint = self.metadata()["authorization_endpoint"]
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        with self._session(redirect_uri) as session:
            url, _ = session.create_authorization_url(
                endpoint, state=state, nonce=nonce, code_verifier=verifier
            )
        return AuthRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    def finish(
        self,
        *,
        code: str,
        redirect_uri: str,
        pending: AuthRequest,
        now: datetime,
        issuer_param: str | None = None,
    ) -> Identity:
        """Exchange the code, check the ID token, and say who signed in."""
        metadata = self.metadata()
        if issuer_param is not None and issuer_param != self.config.issuer:
            # RFC 9207: the answer came from another provider (mix-up attack or wrong setup).
            raise SsoRefused("wrong_issuer", f"the answer is from {issuer_param!r}")
        try:
            with self._session(redirect_uri) as session:
                token = session.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                )
        except Exception as exc:  # Authlib's OAuthError or a network error: the same refusal
            raise SsoRefused("token_refused", f"the code was not exchanged: {exc}") from exc
        raw = token.get("id_token")
        if not isinstance(raw, str):
            raise SsoRefused("bad_token", "the provider sent no ID token (is openid a scope?)")
        claims = check_id_token(
            raw,
            keys=self._keys_for(raw),
            issuer=self.config.issuer,
            client_id=self.config.client_id,
            nonce=pending.nonce,
            now=now,
        )
        return identity_from_claims(claims, self.config.groups_claim)

    def end_session_url(self, post_logout_redirect_uri: str) -> str | None:
        """Where the browser ends the provider's session too (RP-initiated logout), or None."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except SsoRefused:
            return None
        if not isinstance(endpoint, str) or not endpoint:
            return None
        query = urlencode(
            {
                "client_id": self.config.client_id,
                "post_logout_redirect_uri": post_logout_redirect_uri,
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
