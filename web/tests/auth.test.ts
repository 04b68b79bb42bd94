import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AuthSession,
  displayName,
  keycloakSetup,
  parseAuthConfig,
  refreshDelayMs,
  rolesOf,
  type OidcClient,
  type TokenClaims,
} from '../src/auth/auth';
import { restHeaders } from '../src/net/history';
import { parseServerFrame } from '../src/net/protocol';
import { MarketSocket, type SocketAuth, type SocketFactory, type SocketHandlers } from '../src/net/socket_client';

describe('parseAuthConfig', () => {
  it('reads off and on', () => {
    expect(parseAuthConfig({ enabled: false })).toEqual({ enabled: false });
    expect(parseAuthConfig({ enabled: true, issuer: 'https://h/realms/spacetime', client_id: 'spacetime', audience: null })).toEqual({
      enabled: true,
      issuer: 'https://h/realms/spacetime',
      clientId: 'spacetime',
      audience: null,
    });
    expect(parseAuthConfig({ enabled: true, issuer: 'http://127.0.0.1:9', client_id: 'c', audience: 'a' }).enabled).toBe(true);
  });
  it('refuses what it cannot use', () => {
    expect(() => parseAuthConfig(null)).toThrow();
    expect(() => parseAuthConfig({})).toThrow(/enabled/);
    expect(() => parseAuthConfig({ enabled: true, issuer: 'ftp://x', client_id: 'c' })).toThrow(/issuer/);
    expect(() => parseAuthConfig({ enabled: true, issuer: 'https://x', client_id: '' })).toThrow(/client_id/);
    expect(() => parseAuthConfig({ enabled: true, issuer: 'https://x', client_id: 'c', audience: 3 })).toThrow(/audience/);
  });
});

describe('keycloakSetup', () => {
  it('a Keycloak issuer becomes url + realm, the code in the fragment', () => {
    expect(keycloakSetup('https://example.com/auth/realms/spacetime', 'spacetime')).toEqual({
      config: { url: 'https://example.com/auth', realm: 'spacetime', clientId: 'spacetime' },
      responseMode: 'fragment',
    });
    expect(keycloakSetup('https://kc.example.com/realms/my%20realm/', 'c').config).toEqual({ url: 'https://kc.example.com', realm: 'my realm', clientId: 'c' });
  });
  it('any other issuer is a generic provider read from its discovery document, the code in the query', () => {
    expect(keycloakSetup('http://127.0.0.1:4000/', 'spacetime')).toEqual({
      config: { oidcProvider: 'http://127.0.0.1:4000', clientId: 'spacetime' },
      responseMode: 'query',
    });
  });
});

describe('refreshDelayMs', () => {
  const now = 1_000_000_000;
  it('refreshes 30 s before exp for a token that lives long enough', () => {
    expect(refreshDelayMs({ iat: now / 1000, exp: now / 1000 + 300 }, now)).toBe(270_000);
  });
  it('a short-lived token: when a third of its life is left, never at once in a loop', () => {
    expect(refreshDelayMs({ iat: now / 1000, exp: now / 1000 + 21 }, now)).toBe(14_000);
    expect(refreshDelayMs({ iat: now / 1000, exp: now / 1000 + 1 }, now)).toBe(1_000);
  });
  it('follows the clock skew keycloak-js measured (browser minus server)', () => {
    expect(refreshDelayMs({ iat: now / 1000 - 5, exp: now / 1000 + 295 }, now, 5)).toBe(270_000);
  });
  it('an expired or odd token: refresh soon, but not at once', () => {
    expect(refreshDelayMs({ iat: now / 1000 - 600, exp: now / 1000 - 300 }, now)).toBe(1_000);
    expect(refreshDelayMs({}, now)).toBe(1_000);
  });
});

describe('who the user is', () => {
  it('roles from realm_access, the name from preferred_username, name or sub', () => {
    expect(rolesOf({ realm_access: { roles: ['viewer', 'admin'] } })).toEqual(['viewer', 'admin']);
    expect(rolesOf({})).toEqual([]);
    expect(rolesOf(undefined)).toEqual([]);
    expect(displayName({ sub: 's', name: 'Ann', preferred_username: 'ann' })).toBe('ann');
    expect(displayName({ sub: 's', name: 'Ann' })).toBe('Ann');
    expect(displayName({ sub: 's' })).toBe('s');
  });
  it('REST requests carry the bearer token only when there is one', () => {
    expect(restHeaders(null)).toEqual({ accept: 'application/json' });
    expect(restHeaders('t')).toEqual({ accept: 'application/json', authorization: 'Bearer t' });
  });
  it('the auth ok carries sub, exp and roles', () => {
    const parsed = parseServerFrame(JSON.stringify({ type: 'ok', id: 1, op: 'auth', sub: 'u', exp: 99, roles: ['viewer'] }));
    expect(parsed.ok && parsed.message.type === 'ok' ? parsed.message.auth : null).toEqual({ sub: 'u', exp: 99, roles: ['viewer'] });
  });
});

/** keycloak-js as far as AuthSession uses it: each refresh gives a token living `lifetimeS`. */
class FakeOidc implements OidcClient {
  token: string | undefined;
  tokenParsed: TokenClaims | undefined;
  timeSkew = 0;
  refreshes = 0;
  failNext = 0;
  logins = 0;
  logouts: unknown[] = [];
  inits: unknown[] = [];
  constructor(private readonly lifetimeS: number) {}
  issue(): void {
    const iat = Math.floor(Date.now() / 1000);
    this.token = `token-${this.refreshes}`;
    this.tokenParsed = { iat, exp: iat + this.lifetimeS, preferred_username: 'ann', realm_access: { roles: ['viewer'] } };
  }
  init(options: unknown): Promise<boolean> {
    this.inits.push(options);
    this.issue();
    return Promise.resolve(true);
  }
  login(): Promise<void> {
    this.logins += 1;
    return Promise.resolve();
  }
  logout(options: unknown): Promise<void> {
    this.logouts.push(options);
    return Promise.resolve();
  }
  updateToken(minValidity: number): Promise<boolean> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      return Promise.reject(new Error('provider down'));
    }
    const left = (this.tokenParsed?.exp ?? 0) - Date.now() / 1000;
    if (minValidity === -1 || left < minValidity) {
      this.refreshes += 1;
      this.issue();
      return Promise.resolve(true);
    }
    return Promise.resolve(false);
  }
}

describe('AuthSession', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('logs in with the code flow + PKCE S256, no login iframe', async () => {
    const oidc = new FakeOidc(300);
    const session = new AuthSession(oidc, { responseMode: 'query', redirectUri: 'http://page/' });
    expect(await session.start(true)).toBe(true);
    expect(oidc.inits).toEqual([
      { onLoad: 'login-required', pkceMethod: 'S256', checkLoginIframe: false, responseMode: 'query', redirectUri: 'http://page/' },
    ]);
    expect(session.user()).toEqual({ name: 'ann', roles: ['viewer'] });
    expect(session.isAdmin()).toBe(false);
  });

  it('after a logout the page only takes a login under way (no onLoad)', async () => {
    const oidc = new FakeOidc(300);
    await new AuthSession(oidc, { responseMode: 'fragment', redirectUri: 'http://page/' }).start(false);
    expect(oidc.inits[0]).not.toHaveProperty('onLoad');
  });

  it('refreshes before expiry, again and again, and hands each new token on', async () => {
    const oidc = new FakeOidc(21);
    const tokens: string[] = [];
    const session = new AuthSession(oidc, { responseMode: 'query', redirectUri: 'x', onRefreshed: (t) => tokens.push(t) });
    await session.start(true);
    await vi.advanceTimersByTimeAsync(13_900);
    expect(tokens).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(tokens).toEqual(['token-1']);
    await vi.advanceTimersByTimeAsync(14_000);
    expect(tokens).toEqual(['token-1', 'token-2']);
    expect(session.stats().refreshes).toBe(2);
  });

  it('a failed refresh is tried again while the token holds, then the user logs in again', async () => {
    const oidc = new FakeOidc(30);
    const session = new AuthSession(oidc, { responseMode: 'query', redirectUri: 'x', retryMs: 5_000 });
    await session.start(true);
    oidc.failNext = 10;
    await vi.advanceTimersByTimeAsync(20_000); // due at 20 s: fails
    expect(session.stats().refreshFailures).toBe(1);
    expect(oidc.logins).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000); // 25 s: fails, token still holds
    expect(session.stats().refreshFailures).toBe(2);
    await vi.advanceTimersByTimeAsync(5_000); // 30 s: expired
    expect(oidc.logins).toBe(1);
  });

  it('token(): the current one while it holds, a refreshed one when forced (after a 4001)', async () => {
    const oidc = new FakeOidc(300);
    const session = new AuthSession(oidc, { responseMode: 'query', redirectUri: 'x' });
    await session.start(true);
    expect(await session.token()).toBe('token-0');
    expect(await session.token(true)).toBe('token-1');
  });

  it('logout stops refreshing and logs out at the provider, back to the page', async () => {
    const oidc = new FakeOidc(21);
    const tokens: string[] = [];
    const session = new AuthSession(oidc, { responseMode: 'query', redirectUri: 'http://page/', onRefreshed: (t) => tokens.push(t) });
    await session.start(true);
    await session.logout();
    expect(oidc.logouts).toEqual([{ redirectUri: 'http://page/' }]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(tokens).toEqual([]);
  });
});

class FakeSocket {
  readonly sent: { op: string; id: number; token?: string }[] = [];
  closed: { code: number | undefined } | null = null;
  constructor(readonly handlers: SocketHandlers) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data) as { op: string; id: number });
  }
  close(code?: number): void {
    this.closed = { code };
  }
}

const hello = JSON.stringify({
  type: 'hello',
  version: 2,
  server_time_ms: 1,
  flush_ms: 100,
  symbols: [{ symbol: 'ALFA', tick_size: 0.01, decimals: 2 }],
  timeframes: ['1s'],
  streams: ['candles:1s'],
  limits: {},
});

describe('MarketSocket with auth', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup() {
    const sockets: FakeSocket[] = [];
    const factory: SocketFactory = (_url, handlers) => {
      const socket = new FakeSocket(handlers);
      sockets.push(socket);
      return socket;
    };
    const asked: boolean[] = [];
    const accepted: string[][] = [];
    const forbidden: string[] = [];
    let n = 0;
    const auth: SocketAuth = {
      token: (refused) => {
        asked.push(refused);
        n += 1;
        return Promise.resolve(`jwt-${n}`);
      },
      onAccepted: (a) => accepted.push([...a.roles]),
      onForbidden: (reason) => forbidden.push(reason),
    };
    const client = new MarketSocket({
      url: 'ws://t/ws',
      factory,
      random: () => 0,
      heartbeatMs: 0,
      onMessage: () => undefined,
      auth,
      resumeChannels: (subscribed) => subscribed.map((c) => ({ symbol: c.symbol, stream: c.stream, seq: 7 })),
    });
    const latest = (): FakeSocket => sockets.at(-1) as FakeSocket;
    return { client, sockets, latest, asked, accepted, forbidden };
  }

  it('gets a token before connecting and sends auth as the first message, before any subscribe', async () => {
    const { client, sockets, latest, asked } = setup();
    client.setSubscriptions([{ symbol: 'ALFA', stream: 'candles:1s' }]);
    client.start();
    expect(sockets).toHaveLength(0); // the token first
    await vi.advanceTimersByTimeAsync(0);
    expect(asked).toEqual([false]);
    latest().handlers.open();
    expect(latest().sent.map((m) => m.op)).toEqual(['auth', 'subscribe']);
    expect(latest().sent[0]).toEqual({ op: 'auth', id: 1, token: 'jwt-1' });
  });

  it('sends a refreshed token on the same open connection; the ok is counted', async () => {
    const { client, sockets, latest, accepted } = setup();
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    latest().handlers.open();
    latest().handlers.message(JSON.stringify({ type: 'ok', id: 1, op: 'auth', sub: 'u', exp: 9, roles: ['viewer'] }));
    latest().handlers.message(hello);
    expect(client.refreshAuth('jwt-new')).toBe(true);
    expect(sockets).toHaveLength(1);
    expect(latest().sent.at(-1)).toEqual({ op: 'auth', id: 2, token: 'jwt-new' });
    // The token never stays where an error log could print it.
    expect(client.requestFor(2)).toEqual({ op: 'auth', id: 2, token: '…' });
    latest().handlers.message(JSON.stringify({ type: 'ok', id: 2, op: 'auth', sub: 'u', exp: 99, roles: ['viewer', 'admin'] }));
    expect(accepted).toEqual([['viewer'], ['viewer', 'admin']]);
    expect(client.authStats()).toEqual({ sent: 2, accepted: 2, refused: 0 });
    expect(latest().closed).toBeNull();
  });

  it('close 4001: reconnects with a forced refresh, authenticates first, then resumes by seq', async () => {
    const { client, sockets, latest, asked } = setup();
    client.setSubscriptions([{ symbol: 'ALFA', stream: 'candles:1s' }]);
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    latest().handlers.open();
    latest().handlers.message(hello);
    latest().handlers.close(4001, 'token expired');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(asked).toEqual([false, true]);
    expect(sockets).toHaveLength(2);
    latest().handlers.open();
    expect(latest().sent.map((m) => m.op)).toEqual(['auth', 'resume']);
    expect(latest().sent[0]?.token).toBe('jwt-2');
    expect(client.authStats().refused).toBe(1);
    // A later ordinary drop does not force a refresh.
    latest().handlers.close(1006, '');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(asked).toEqual([false, true, false]);
  });

  it('close 4003: stops, no reconnect, the page is told', async () => {
    const { client, sockets, latest, forbidden } = setup();
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    latest().handlers.open();
    latest().handlers.close(4003, 'forbidden');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
    expect(forbidden).toEqual(['forbidden']);
    expect(client.connectionStatus()).toBe('stopped');
  });

  it('refreshAuth while disconnected sends nothing', () => {
    const { client } = setup();
    expect(client.refreshAuth('t')).toBe(false);
  });
});
