import { Body, Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiConsumes, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@scopegate/nest';
import { Clock } from '../../platform/clock';
import { Meta, type RequestMeta } from '../../platform/http/request-meta';
import type { AppConfig } from '../../config/env';
import { ScopesService } from '../../scopes/scopes.service';
import type { UserEntity } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { AuditService } from '../../audit/audit.service';
import {
  AuthorizePageError,
  AuthorizeRedirectError,
  formField,
  redirectWith,
  type AuthorizationRequest,
} from './authorization-request';
import { AuthorizeService } from './authorize.service';
import { consentCovers, userGrantableScopes } from '../../protocol/delegated-scopes';
import { LoginService } from '../login/login.service';
import { consentPage, errorPage, loginPage, pageCsp } from './pages';
import { cookieValue, SESSION_COOKIE, SessionCodec, sessionCookie, type SessionData } from './session';

/**
 * RFC 6749 §4.1 authorization endpoint with server-rendered login and consent pages that need no
 * JavaScript. The pages re-send the original request as hidden fields and every POST re-validates it,
 * so there is no server-side state besides the signed session cookie.
 */
@ApiTags('oauth')
@Public()
@Controller('oauth')
export class AuthorizeController {
  private readonly codec: SessionCodec;
  private readonly sessionTtl: number;
  private readonly secureCookie: boolean;

  constructor(
    private readonly authorize: AuthorizeService,
    private readonly users: UsersService,
    private readonly scopes: ScopesService,
    private readonly userLogin: LoginService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
  ) {
    this.codec = new SessionCodec(SessionCodec.deriveKey(config.get('SECRET_PEPPER', { infer: true })));
    this.sessionTtl = config.get('LOGIN_SESSION_TTL', { infer: true });
    this.secureCookie = config.get('ISSUER', { infer: true }).startsWith('https:');
  }

  @Get('authorize')
  @ApiOperation({
    summary: 'Authorization endpoint (RFC 6749 §4.1, PKCE S256 required, RFC 9207 iss)',
    description:
      'Open in a browser. Shows the login and consent pages, then redirects (303) to the redirect_uri with ' +
      '`code`, `state` and `iss`, or with `error`. An unknown client or unregistered redirect_uri shows an error page.',
  })
  @ApiProduces('text/html')
  @ApiQuery({ name: 'response_type', enum: ['code'] })
  @ApiQuery({ name: 'client_id', example: 'demo-spa' })
  @ApiQuery({ name: 'redirect_uri', required: false, example: 'http://127.0.0.1:8080/callback' })
  @ApiQuery({ name: 'scope', required: false, example: 'openid profile customers:read' })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'code_challenge', description: 'BASE64URL(SHA256(code_verifier))' })
  @ApiQuery({ name: 'code_challenge_method', enum: ['S256'] })
  @ApiQuery({ name: 'nonce', required: false })
  @ApiQuery({ name: 'prompt', required: false, enum: ['none', 'login', 'consent'] })
  @ApiResponse({ status: 200, description: 'Login or consent page' })
  @ApiResponse({ status: 303, description: 'Back to the client with code or error' })
  @ApiResponse({ status: 400, description: 'Error page (unknown client, unregistered redirect_uri)' })
  async start(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Meta() meta: RequestMeta) {
    await this.guard(reply, async () => {
      const authReq = await this.authorize.validate(req.query);
      const session = this.session(req);
      // OIDC Core §3.1.2.1 max_age: a sign-in older than that must be repeated.
      const tooOld =
        authReq.maxAge !== undefined &&
        session?.at !== undefined &&
        this.clock.nowSeconds() - session.at > authReq.maxAge;
      const user =
        session?.uid && !authReq.prompt.has('login') && !tooOld
          ? await this.activeUser(session.uid, session.at)
          : null;
      if (!user || !session?.at) {
        if (authReq.prompt.has('none')) {
          throw new AuthorizeRedirectError('login_required', 'The user is not signed in', authReq);
        }
        return this.showLogin(reply, authReq, session, undefined, 200, authReq.loginHint);
      }
      return this.proceed(reply, authReq, user, session, session.at, meta);
    });
  }

  @Post('authorize')
  @ApiOperation({
    summary: 'Login and consent forms of the authorization endpoint (HTML form posts, CSRF-protected)',
    description: 'Posted by the pages GET /oauth/authorize renders; not an API for programs.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/html')
  @ApiResponse({ status: 200, description: 'Consent page, or the login page with an error' })
  @ApiResponse({ status: 303, description: 'Back to the client with code or error' })
  async submit(
    @Req() req: FastifyRequest,
    @Body() body: unknown,
    @Res() reply: FastifyReply,
    @Meta() meta: RequestMeta,
  ) {
    await this.guard(reply, async () => {
      const authReq = await this.authorize.validate(body);
      const session = this.session(req);
      if (!this.codec.checkCsrf(session, formField(body, 'csrf_token'))) {
        const message = 'The form expired or did not come from this site. Please sign in again.';
        return this.showLogin(reply, authReq, undefined, message, 403);
      }
      const action = formField(body, 'action');
      if (action === 'login') return this.login(reply, authReq, session!, body, meta);
      if (action === 'consent') {
        const user = session?.uid ? await this.activeUser(session.uid, session.at) : null;
        if (!user || !session?.at) return this.showLogin(reply, authReq, session, 'Please sign in.', 401);
        return this.consent(reply, authReq, user, session.at, formField(body, 'decision'), meta);
      }
      return this.showLogin(reply, authReq, session, 'Unknown form action.', 400);
    });
  }

  private async login(
    reply: FastifyReply,
    authReq: AuthorizationRequest,
    current: SessionData,
    body: unknown,
    meta: RequestMeta,
  ) {
    const username = (formField(body, 'username', 256) ?? '').trim();
    const password = formField(body, 'password', 256) ?? '';
    if (!username || !password) {
      return this.showLogin(reply, authReq, current, 'Enter your username and password.', 400, username);
    }
    const result = await this.userLogin.signIn(username, password, {
      via: 'authorize',
      clientId: authReq.client.clientId,
      meta,
    });
    if (!result.user) {
      if (result.retryAfter === undefined) {
        return this.showLogin(reply, authReq, current, 'Wrong username or password.', 401, username);
      }
      reply.header('retry-after', String(result.retryAfter));
      const minutes = Math.ceil(result.retryAfter / 60);
      const message = `Too many failed sign-in attempts. Try again in ${minutes} minute(s).`;
      return this.showLogin(reply, authReq, current, message, 429, username);
    }
    const { user, event } = result;
    const now = this.clock.nowSeconds();
    // A new session id at sign-in: a session fixed by an attacker before login is worthless after it.
    const session = this.codec.fresh(this.sessionTtl, now, { uid: user.id, at: now });
    this.setSession(reply, session);
    await this.audit.record(event);
    return this.proceed(reply, authReq, user, session, now, meta);
  }

  /** Signed in: skip consent when remembered, else ask. */
  private async proceed(
    reply: FastifyReply,
    authReq: AuthorizationRequest,
    user: UserEntity,
    session: SessionData,
    authTime: number,
    meta: RequestMeta,
  ) {
    const scopes = userGrantableScopes(authReq.scopes, await this.users.scopesOf(user));
    if (scopes.length === 0) {
      throw new AuthorizeRedirectError(
        'access_denied',
        'The user may not grant any of the requested scopes',
        authReq,
      );
    }
    const consented = await this.authorize.consentedScopes(user.id, authReq.client.clientId);
    // RFC 8252 §8.6 / RFC 9700 §4.1: a public client's identity rests on its redirect URI. When that
    // URI matched only through the loopback-port allowance (any port), any local app could be asking:
    // the user is asked again rather than a remembered consent being replayed silently.
    const identityAssured =
      authReq.client.tokenEndpointAuthMethod !== 'none' ||
      authReq.client.redirectUris.includes(authReq.redirectUri);
    if (!authReq.prompt.has('consent') && identityAssured && consentCovers(consented, scopes)) {
      const code = await this.authorize.issueCode(user, authTime, authReq, scopes, meta);
      return this.redirect(reply, authReq, { code });
    }
    if (authReq.prompt.has('none')) {
      throw new AuthorizeRedirectError('consent_required', 'The user has not approved these scopes', authReq);
    }
    const { scopes: catalog } = await this.scopes.catalog();
    const html = consentPage({
      clientName: authReq.client.clientName,
      username: user.username,
      csrf: this.codec.csrfToken(session),
      params: authReq.params,
      scopes: scopes.map((name) => ({ name, description: catalog.get(name)?.description ?? '' })),
    });
    return this.html(reply, 200, html, authReq.redirectUri);
  }

  private async consent(
    reply: FastifyReply,
    authReq: AuthorizationRequest,
    user: UserEntity,
    authTime: number,
    decision: string | undefined,
    meta: RequestMeta,
  ) {
    const scopes = userGrantableScopes(authReq.scopes, await this.users.scopesOf(user));
    if (decision !== 'allow') {
      await this.audit.record(
        this.authorize.event('consent.denied', 'denied', user, authReq, meta, { scope: scopes.join(' ') }),
      );
      throw new AuthorizeRedirectError('access_denied', 'The user denied the request', authReq);
    }
    if (scopes.length === 0) {
      throw new AuthorizeRedirectError(
        'access_denied',
        'The user may not grant any of the requested scopes',
        authReq,
      );
    }
    const granted = await this.authorize.rememberConsent(user, authReq, scopes, meta);
    const code = await this.authorize.issueCode(user, authTime, authReq, scopes, meta, [granted]);
    return this.redirect(reply, authReq, { code });
  }

  /** Renders authorization errors: a page for untrusted client/redirect URI, a redirect otherwise. */
  private async guard(reply: FastifyReply, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (err instanceof AuthorizePageError) {
        this.html(reply, 400, errorPage(err.title, err.description));
        return;
      }
      if (err instanceof AuthorizeRedirectError) {
        this.redirect(reply, err.target, { error: err.error, error_description: err.description });
        return;
      }
      throw err;
    }
  }

  /** RFC 6749 §4.1.2 with RFC 9207 `iss`; 303 so that a POSTed form turns into a GET. */
  private redirect(
    reply: FastifyReply,
    target: { redirectUri: string; state?: string },
    values: Record<string, string>,
  ) {
    const location = redirectWith(target.redirectUri, {
      ...values,
      state: target.state,
      iss: this.authorize.issuer,
    });
    void reply.status(303).header('cache-control', 'no-store').header('location', location).send();
  }

  private showLogin(
    reply: FastifyReply,
    authReq: AuthorizationRequest,
    session: SessionData | undefined,
    error: string | undefined,
    status: number,
    username?: string,
  ) {
    const s = session ?? this.newSession();
    if (!session) this.setSession(reply, s);
    const html = loginPage({
      clientName: authReq.client.clientName,
      csrf: this.codec.csrfToken(s),
      params: authReq.params,
      username,
      error,
    });
    return this.html(reply, status, html, authReq.redirectUri);
  }

  private html(reply: FastifyReply, status: number, html: string, redirectUri?: string) {
    void reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', pageCsp(redirectUri))
      .send(html);
  }

  private session(req: FastifyRequest): SessionData | undefined {
    return this.codec.decode(cookieValue(req.headers.cookie, SESSION_COOKIE), this.clock.nowSeconds());
  }

  private newSession(): SessionData {
    return this.codec.fresh(this.sessionTtl, this.clock.nowSeconds());
  }

  private setSession(reply: FastifyReply, session: SessionData) {
    reply.header('set-cookie', sessionCookie(this.codec.encode(session), this.sessionTtl, this.secureCookie));
  }

  /** The session's user, unless disabled or their password changed after the sign-in. */
  private async activeUser(id: string, signedInAt: number | undefined): Promise<UserEntity | null> {
    const u = await this.users.findById(id);
    if (!u || u.status !== 'active' || signedInAt === undefined) return null;
    return Math.floor(u.passwordChangedAt.getTime() / 1000) > signedInAt ? null : u;
  }
}
