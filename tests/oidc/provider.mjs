// A real OpenID Connect provider for the gateway's auth tests (scripts/services oidc):
// oauth2-mock-server's discovery document, JWKS and token endpoint, signing with real RSA
// (RS256, kid rs-1) and EC P-256 (ES256, kid es-1) keys, plus a few /test/ endpoints with
// which a test asks for tokens with chosen claims and rotates keys.
//
//   node provider.mjs PORT            issuer http://127.0.0.1:PORT
//
//   POST /token  grant_type=client_credentials&client_id=C&scope=viewer admin[&aud=A]
//        a token for subject C whose realm_access.roles are the scope's words (Keycloak's form)
//   GET  /test/token?kid=&sub=&roles=a,b&aud=&azp=&iss=&expires_in=&nbf_offset=&iat_offset=
//        the token itself (text/plain); offsets are seconds from now
//   POST /test/rotate?alg=RS256|ES256  a new key of that kind; answers {"kid":...}
//   GET  /test/stats   {"jwks_hits":N,"discovery_hits":N}: how often the keys were fetched
//
// The browser login (web/e2e/auth.test.ts): GET /authorize redirects straight back with a
// code (no login form; PKCE S256 is checked at /token), and the authorization_code and
// refresh_token grants issue tokens for one "browser user", Keycloak-style: sub,
// preferred_username, realm_access.roles, azp and aud = the client id, a short lifetime,
// and a refresh token that is a JWT (keycloak-js decodes it). GET /endsession redirects
// to post_logout_redirect_uri.
//   POST /test/browser?sub=&roles=a,b&expires_in=   who logs in next and for how long
//        (default sub trader, roles viewer,admin, expires_in 300 or $OIDC_BROWSER_TOKEN_SECONDS);
//        answers the settings
//   GET  /test/browser  the settings and {"grants":{"authorization_code":N,"refresh_token":N}}
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node provider.mjs PORT');
  process.exit(2);
}

const server = new OAuth2Server();
const issuer = server.issuer;
issuer.url = `http://127.0.0.1:${port}`;
await issuer.keys.generate('RS256', { kid: 'rs-1' });
await issuer.keys.generate('ES256', { kid: 'es-1' });
const rotations = { RS256: 1, ES256: 1 };
const stats = { jwks_hits: 0, discovery_hits: 0 };

const browser = {
  sub: 'trader',
  roles: ['viewer', 'admin'],
  expires_in: Number(process.env.OIDC_BROWSER_TOKEN_SECONDS ?? 300),
};
const grants = { authorization_code: 0, refresh_token: 0 };
const browserGrant = (body) => body.grant_type === 'authorization_code' || body.grant_type === 'refresh_token';

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const refreshSecret = randomUUID();
// Keycloak's refresh tokens are HS512 JWTs only Keycloak reads; keycloak-js decodes the payload.
function refreshToken(clientId) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url({ alg: 'HS256', typ: 'JWT' });
  const body = b64url({ iss: issuer.url, sub: browser.sub, azp: clientId, typ: 'Refresh', iat: now, exp: now + 1800, jti: randomUUID() });
  const mac = createHmac('sha256', refreshSecret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${mac}`;
}

server.service.on('beforeTokenSigning', (token, req) => {
  const body = req.body ?? {};
  if (browserGrant(body)) {
    const p = token.payload;
    p.sub = browser.sub;
    p.preferred_username = browser.sub;
    p.realm_access = { roles: [...browser.roles] };
    if (typeof body.client_id === 'string') {
      p.azp = body.client_id;
      p.aud = body.client_id;
    }
    p.exp = p.iat + browser.expires_in;
    return;
  }
  if (body.grant_type !== 'client_credentials') return;
  const words = typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : [];
  token.payload.sub = body.client_id ?? 'service-account';
  token.payload.azp = body.client_id;
  token.payload.realm_access = { roles: words };
});

server.service.on('beforeResponse', (response, req) => {
  const body = req.body ?? {};
  if (!browserGrant(body) || response.statusCode !== 200) return;
  grants[body.grant_type]++;
  response.body.expires_in = browser.expires_in;
  response.body.refresh_token = refreshToken(body.client_id);
});

async function testRoute(req, res, url) {
  const q = url.searchParams;
  if (url.pathname === '/test/browser') {
    if (req.method === 'POST') {
      if (q.has('sub')) browser.sub = q.get('sub');
      if (q.has('roles')) browser.roles = q.get('roles').split(',').filter(Boolean);
      if (q.has('expires_in')) browser.expires_in = Number(q.get('expires_in'));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ ...browser, grants }));
  }
  if (req.method === 'GET' && url.pathname === '/test/token') {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await issuer.buildToken({
      kid: q.get('kid') ?? 'rs-1',
      expiresIn: Number(q.get('expires_in') ?? 300),
      scopesOrTransform: (_header, payload) => {
        payload.sub = q.get('sub') ?? 'alice';
        if (q.has('roles')) payload.realm_access = { roles: q.get('roles').split(',').filter(Boolean) };
        if (q.has('aud')) payload.aud = q.get('aud');
        if (q.has('azp')) payload.azp = q.get('azp');
        if (q.has('iss')) payload.iss = q.get('iss');
        if (q.has('nbf_offset')) payload.nbf = now + Number(q.get('nbf_offset'));
        if (q.has('iat_offset')) payload.iat = now + Number(q.get('iat_offset'));
        if (q.get('no_sub') === '1') delete payload.sub;
      },
    });
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end(jwt);
  }
  if (req.method === 'POST' && url.pathname === '/test/rotate') {
    const alg = q.get('alg') ?? 'RS256';
    if (!(alg in rotations)) {
      res.writeHead(400);
      return res.end('alg must be RS256 or ES256');
    }
    const kid = `${alg === 'RS256' ? 'rs' : 'es'}-${++rotations[alg]}`;
    await issuer.keys.generate(alg, { kid });
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ kid }));
  }
  if (req.method === 'GET' && url.pathname === '/test/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(stats));
  }
  res.writeHead(404);
  res.end();
}

const handler = server.service.requestHandler;
http
  .createServer((req, res) => {
    const url = new URL(req.url, issuer.url);
    if (url.pathname.startsWith('/test/')) {
      testRoute(req, res, url).catch((e) => {
        res.writeHead(500);
        res.end(String(e));
      });
      return;
    }
    // keycloak-js sends its token requests with credentials, which a wildcard
    // Access-Control-Allow-Origin does not allow: name the page's origin, as Keycloak
    // does for a client's web origins.
    const origin = req.headers.origin;
    if (typeof origin === 'string') {
      const setHeader = res.setHeader.bind(res);
      res.setHeader = (name, value) => {
        if (String(name).toLowerCase() !== 'access-control-allow-origin') return setHeader(name, value);
        setHeader('Access-Control-Allow-Credentials', 'true');
        setHeader('Vary', 'Origin');
        return setHeader(name, origin);
      };
    }
    if (url.pathname === '/jwks') stats.jwks_hits++;
    if (url.pathname === '/.well-known/openid-configuration') stats.discovery_hits++;
    handler(req, res);
  })
  .listen(port, '127.0.0.1', () => console.log(`oidc provider: issuer ${issuer.url}`));
