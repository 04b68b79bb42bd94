// Login with an OpenID Connect issuer (Keycloak in production) through keycloak-js: the
// authorization code flow with PKCE (S256), no login iframe. The server says whether
// auth is on (`GET /api/auth/config`); when it is off nothing here runs and keycloak-js
// is not even loaded. The pure parts (reading the config, which keycloak-js setup an
// issuer needs, when to refresh, who the user is) are exported for tests; AuthSession
// drives a keycloak-js instance through the small OidcClient interface, so it runs with
// a stand-in in tests too.

/** What `GET /api/auth/config` says (docs/PROTOCOL.md § Authentication). */
export type AuthConfig =
  | { readonly enabled: false }
  | { readonly enabled: true; readonly issuer: string; readonly clientId: string; readonly audience: string | null };

export function parseAuthConfig(json: unknown): AuthConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('auth config: not an object');
  }
  const obj = json as { readonly [key: string]: unknown };
  if (obj['enabled'] === false) {
    return { enabled: false };
  }
  if (obj['enabled'] !== true) {
    throw new Error('auth config: enabled must be true or false');
  }
  const issuer = obj['issuer'];
  const clientId = obj['client_id'];
  const audience = obj['audience'] ?? null;
  if (typeof issuer !== 'string' || !/^https?:\/\/[^/]/.test(issuer)) {
    throw new Error('auth config: issuer must be an http(s) URL');
  }
  if (typeof clientId !== 'string' || clientId === '') {
    throw new Error('auth config: client_id must be a non-empty string');
  }
  if (audience !== null && typeof audience !== 'string') {
    throw new Error('auth config: audience must be a string or null');
  }
  return { enabled: true, issuer, clientId, audience };
}

/** The keycloak-js constructor argument and init options that differ per issuer. */
export interface KeycloakSetup {
  readonly config: { readonly url: string; readonly realm: string; readonly clientId: string } | { readonly oidcProvider: string; readonly clientId: string };
  /** Where the provider puts the code on the way back: Keycloak supports both, a generic provider may only know `query`. */
  readonly responseMode: 'fragment' | 'query';
}

/**
 * A Keycloak issuer (`https://host[/prefix]/realms/<realm>`) becomes url + realm (keycloak-js
 * then knows every endpoint without fetching the discovery document); any other issuer is
 * a generic OpenID Connect provider whose endpoints come from its discovery document
 * (`oidcProvider`), with the code in the query, the one response mode every provider has.
 */
export function keycloakSetup(issuer: string, clientId: string): KeycloakSetup {
  const trimmed = issuer.replace(/\/+$/, '');
  const match = /^(https?:\/\/.+)\/realms\/([^/]+)$/.exec(trimmed);
  if (match !== null) {
    return { config: { url: match[1] as string, realm: decodeURIComponent(match[2] as string), clientId }, responseMode: 'fragment' };
  }
  return { config: { oidcProvider: trimmed, clientId }, responseMode: 'query' };
}

/** The claims of an access token this page reads. */
export interface TokenClaims {
  readonly exp?: number;
  readonly iat?: number;
  readonly sub?: string;
  readonly preferred_username?: string;
  readonly name?: string;
  readonly realm_access?: { readonly roles?: readonly string[] };
}

/** A token is refreshed this long before it expires, at most (docs/PROTOCOL.md: about 30 s). */
export const kRefreshLeadS = 30;
/** Never sooner than this after the last refresh, however short the token lives. */
export const kMinRefreshDelayMs = 1_000;

/**
 * How long to wait before refreshing a token: until `kRefreshLeadS` before `exp`, or, for a
 * token that lives less than three times that, until a third of its life is left (a 20 s
 * token is refreshed after about 13 s, not at once and again and again). `skewS` is
 * keycloak-js' `timeSkew` (browser clock minus server clock, seconds).
 */
export function refreshDelayMs(claims: TokenClaims, nowMs: number, skewS = 0): number {
  if (claims.exp === undefined) {
    return kMinRefreshDelayMs;
  }
  const lifetimeS = claims.iat === undefined ? kRefreshLeadS * 3 : claims.exp - claims.iat;
  const leadS = Math.min(kRefreshLeadS, Math.max(0, lifetimeS) / 3);
  const dueMs = (claims.exp + skewS - leadS) * 1000;
  return Math.max(kMinRefreshDelayMs, Math.round(dueMs - nowMs));
}

export function rolesOf(claims: TokenClaims | undefined): string[] {
  const roles = claims?.realm_access?.roles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}

export function displayName(claims: TokenClaims | undefined): string {
  return claims?.preferred_username ?? claims?.name ?? claims?.sub ?? '?';
}

/** The part of keycloak-js' Keycloak class this page uses. */
export interface OidcClient {
  token?: string | undefined;
  tokenParsed?: TokenClaims | undefined;
  timeSkew?: number | null | undefined;
  init(options: {
    onLoad?: 'login-required' | 'check-sso';
    pkceMethod: 'S256';
    checkLoginIframe: boolean;
    responseMode: 'fragment' | 'query';
    redirectUri?: string;
  }): Promise<boolean>;
  login(options?: { redirectUri?: string }): Promise<void>;
  logout(options?: { redirectUri?: string }): Promise<void>;
  updateToken(minValidity: number): Promise<boolean>;
}

export interface AuthSessionOptions {
  readonly responseMode: 'fragment' | 'query';
  /** Where the provider sends the browser back (after login and logout): the page. */
  readonly redirectUri: string;
  /** A refreshed token, to send on the open WebSocket. */
  readonly onRefreshed?: (token: string) => void;
  readonly onWarning?: (message: string) => void;
  readonly now?: () => number;
  /** Retry delay after a refresh failed while the token still holds. */
  readonly retryMs?: number;
}

/** The logged-in user of a page: login, a token whenever one is needed, refresh on a timer, logout. */
export class AuthSession {
  private readonly client: OidcClient;
  private readonly options: AuthSessionOptions;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private refreshes = 0;
  private refreshFailures = 0;
  private stopped = false;

  constructor(client: OidcClient, options: AuthSessionOptions) {
    this.client = client;
    this.options = options;
  }

  /**
   * Logs in (`loginRequired`: to the provider's login page and back, unless the browser
   * comes back from it right now), or only takes the answer of a login under way
   * (`loginRequired` false: the page shows its logged-out state). Resolves with whether
   * the user is logged in; with `loginRequired` it never resolves false (the page leaves).
   */
  async start(loginRequired: boolean): Promise<boolean> {
    const authenticated = await this.client.init({
      ...(loginRequired ? { onLoad: 'login-required' as const } : {}),
      pkceMethod: 'S256',
      checkLoginIframe: false,
      responseMode: this.options.responseMode,
      redirectUri: this.options.redirectUri,
    });
    if (authenticated) {
      this.schedule();
    }
    return authenticated;
  }

  /** To the provider's login page (the page unloads). */
  login(): Promise<void> {
    return this.client.login({ redirectUri: this.options.redirectUri });
  }

  /**
   * A token for a new connection or a request: the current one while it holds for
   * `minValidityS` more seconds, else a refreshed one; `force` refreshes anyway (the server
   * refused the current one). When no token can be had the user logs in again.
   */
  async token(force = false, minValidityS = 5): Promise<string> {
    try {
      await this.client.updateToken(force ? -1 : minValidityS);
    } catch {
      this.refreshFailures += 1;
      this.options.onWarning?.('auth: token refresh failed, logging in again');
      await this.login();
      return new Promise<string>(() => undefined);
    }
    const token = this.client.token;
    if (token === undefined) {
      await this.login();
      return new Promise<string>(() => undefined);
    }
    return token;
  }

  user(): { readonly name: string; readonly roles: readonly string[] } {
    return { name: displayName(this.client.tokenParsed), roles: rolesOf(this.client.tokenParsed) };
  }

  isAdmin(): boolean {
    return rolesOf(this.client.tokenParsed).includes('admin');
  }

  stats(): { readonly refreshes: number; readonly refreshFailures: number; readonly exp: number | null } {
    return { refreshes: this.refreshes, refreshFailures: this.refreshFailures, exp: this.client.tokenParsed?.exp ?? null };
  }

  /** Stops refreshing and logs out at the provider (the page unloads). */
  async logout(): Promise<void> {
    this.stopped = true;
    this.cancel();
    await this.client.logout({ redirectUri: this.options.redirectUri });
  }

  /** Refreshes now (the timer's job) and tells the owner the new token. */
  async refresh(): Promise<void> {
    this.cancel();
    if (this.stopped) {
      return;
    }
    try {
      await this.client.updateToken(-1);
    } catch {
      this.refreshFailures += 1;
      const claims = this.client.tokenParsed;
      const now = (this.options.now ?? Date.now)();
      const skew = this.client.timeSkew ?? 0;
      if (claims?.exp !== undefined && (claims.exp + skew) * 1000 > now + kMinRefreshDelayMs) {
        // The provider may be down for a moment: try again while the token still holds.
        this.options.onWarning?.('auth: token refresh failed, trying again');
        this.timer = setTimeout(() => void this.refresh(), this.options.retryMs ?? 5_000);
      } else {
        this.options.onWarning?.('auth: token refresh failed and the token has expired, logging in again');
        await this.login();
      }
      return;
    }
    this.refreshes += 1;
    const token = this.client.token;
    if (token !== undefined && !this.stopped) {
      this.options.onRefreshed?.(token);
    }
    this.schedule();
  }

  private schedule(): void {
    this.cancel();
    if (this.stopped) {
      return;
    }
    const delay = refreshDelayMs(this.client.tokenParsed ?? {}, (this.options.now ?? Date.now)(), this.client.timeSkew ?? 0);
    this.timer = setTimeout(() => void this.refresh(), delay);
  }

  private cancel(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
