// A real OpenID Connect provider for the SSO tests: panva's certified oidc-provider, on a
// listening socket the test hands over (fd LISTEN_FD) or on PORT, with static clients and
// accounts and one small login page (no consent step) that plain HTTP and Chromium can drive.
//
//   ISSUER          the issuer it names itself (default http://127.0.0.1:<port>)
//   LISTEN_FD       serve on this inherited listening socket (else PORT, else a free port)
//   REDIRECT_URIS   comma-separated redirect URIs of the client "dorren-in"
//   LOGOUT_URIS     comma-separated post_logout_redirect_uris of "dorren-in"
//
// Prints "listening <port>" on stdout once it accepts connections.
import http from "node:http";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import Provider from "oidc-provider";

const PASSWORD = "test-password";

// The municipality's directory: login → claims. Groups are what Entra ID / Keycloak send.
const ACCOUNTS = {
  anna: { email: "anna.admin@mora.se", name: "Anna Admin", groups: ["dorren-in-admins", "all-staff"] },
  bo: { email: "bo.samordnare@mora.se", name: "Bo Samordnare", groups: ["dorren-in-samordnare", "all-staff"] },
  cia: { email: "cia.bygg@orsa.se", name: "Cia Bygg", groups: [] },
  dan: { email: "dan@example.org", name: "Dan Utomstående", groups: ["all-staff"] },
  eva: { email: "eva.avstangd@mora.se", name: "Eva Avstängd", groups: ["dorren-in-samordnare"] },
};

const split = (value) => (value || "").split(",").map((s) => s.trim()).filter(Boolean);

const listenFd = process.env.LISTEN_FD ? Number(process.env.LISTEN_FD) : null;
const server = http.createServer();
await new Promise((resolve) => {
  if (listenFd !== null) server.listen({ fd: listenFd }, resolve);
  else server.listen(Number(process.env.PORT || 0), "127.0.0.1", resolve);
});
const port = server.address().port;
const issuer = process.env.ISSUER || `http://127.0.0.1:${port}`;

const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
  format: "jwk",
});

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "dorren-in",
      client_secret: "dorren-in-secret",
      redirect_uris: split(process.env.REDIRECT_URIS),
      post_logout_redirect_uris: split(process.env.LOGOUT_URIS),
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
    {
      // Another application of the municipality: its ID tokens are not for Dörren in.
      client_id: "other-app",
      client_secret: "other-app-secret",
      redirect_uris: split(process.env.REDIRECT_URIS),
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  jwks: { keys: [{ ...signingKey, kid: "test-key-1", use: "sig", alg: "RS256" }] },
  cookies: { keys: [randomBytes(16).toString("hex")] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name"],
    groups: ["groups"],
  },
  // The claims of the granted scopes go into the ID token (as Entra ID sends groups there).
  conformIdTokenClaims: false,
  findAccount: async (_ctx, id) => {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      claims: async () => ({ sub: id, email_verified: true, ...account }),
    };
  },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  ttl: { IdToken: 3600, AccessToken: 3600, Session: 3600, Grant: 3600, Interaction: 600 },
  renderError: async (ctx, out) => {
    ctx.type = "html";
    ctx.body = `<!doctype html><html lang="en"><title>Error</title><main><h1>${out.error}</h1><p>${out.error_description || ""}</p></main></html>`;
  },
});

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function loginPage(uid, message) {
  return `<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Kommunens inloggning</title></head>
<body><main>
<h1>Kommunens inloggning</h1>
${message ? `<p role="alert" id="error">${escape(message)}</p>` : ""}
<form method="post" action="/interaction/${escape(uid)}/login">
  <p><label for="login">Användarnamn</label> <input id="login" name="login" autocomplete="username"></p>
  <p><label for="password">Lösenord</label> <input id="password" name="password" type="password" autocomplete="current-password"></p>
  <p><button type="submit" id="sign-in">Logga in</button></p>
</form>
</main></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error("interaction mismatch");
  if (action === "" && req.method === "GET") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(loginPage(uid, ""));
    return;
  }
  if (action === "/login" && req.method === "POST") {
    const form = await readForm(req);
    const login = form.get("login") || "";
    if (!ACCOUNTS[login] || form.get("password") !== PASSWORD) {
      res.writeHead(401, { "content-type": "text/html; charset=utf-8" });
      res.end(loginPage(uid, "Fel användarnamn eller lösenord."));
      return;
    }
    // No consent step: the municipality's own applications are pre-approved.
    const { params } = details;
    const grant = new provider.Grant({ accountId: login, clientId: params.client_id });
    grant.addOIDCScope(String(params.scope));
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: login }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  res.writeHead(405);
  res.end();
}

const callback = provider.callback();
server.on("request", (req, res) => {
  const match = /^\/interaction\/([^/?]+)(\/login)?(?:\?.*)?$/.exec(req.url || "");
  if (!match) {
    callback(req, res);
    return;
  }
  interaction(req, res, match[1], match[2] || "").catch((err) => {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
    res.end(`interaction failed: ${err.message}`);
  });
});

const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
console.log(`listening ${port}`);
