import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { refused, type Principal } from '../core/access-token';
import { InsufficientScopeError, OAuthError } from '../core/errors';
import { AccessTokenGuard } from './access-token.guard';
import { Authenticated, Public } from './decorators';
import type { ScopegateRequest } from './http-request';
import type { AccessTokenAuthenticator, ApiCall, ApiCallRecorder } from './ports';

type AuthenticatedRequest = ScopegateRequest;

class Routes {
  @Public() open() {}
  @Authenticated({ scopes: ['customers:read'] }) read() {}
  @Authenticated({ scopes: ['customers:read', 'customers:write'] }) write() {}
  undeclared() {}
}

const principal: Principal = {
  jti: 'jti-1',
  sub: 'client-1',
  clientId: 'client-1',
  scopes: ['customers:read'],
  exp: Math.floor(Date.now() / 1000) + 300,
  aud: ['https://api.example'],
  kid: 'k1',
};

function request(authorization?: string): AuthenticatedRequest {
  return {
    method: 'GET',
    url: '/customers/1?x=1',
    routeOptions: { url: '/customers/:id' },
    headers: authorization === undefined ? {} : { authorization },
    query: {},
    id: 'req-1',
    ip: '127.0.0.1',
  } as unknown as AuthenticatedRequest;
}

function context(handler: keyof Routes, req: AuthenticatedRequest): ExecutionContext {
  return {
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
}

describe('AccessTokenGuard (RFC 6750 §3, deny by default)', () => {
  let authenticator: { authenticate: ReturnType<typeof vi.fn> };
  let events: ApiCall[];
  let guard: AccessTokenGuard;

  const refusal = async (handler: keyof Routes, req: AuthenticatedRequest) => {
    const err = await guard.canActivate(context(handler, req)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OAuthError);
    return err as OAuthError;
  };

  beforeEach(() => {
    authenticator = {
      authenticate: vi.fn((token: string) =>
        token === 'good' ? Promise.resolve(principal) : Promise.reject(refused('signature', 'x')),
      ),
    };
    events = [];
    const recorder: ApiCallRecorder = { record: (e) => void events.push(e) };
    guard = new AccessTokenGuard(
      new Reflector(),
      authenticator as unknown as AccessTokenAuthenticator,
      recorder,
    );
  });

  it('lets a public route through without a token or an event', async () => {
    expect(await guard.canActivate(context('open', request()))).toBe(true);
    expect(events).toEqual([]);
  });

  it('denies handlers of other transports (GraphQL, WebSocket, RPC) unless they are public', async () => {
    for (const type of ['graphql', 'ws', 'rpc']) {
      const ctx = (handler: keyof Routes) =>
        ({ ...context(handler, request('Bearer good')), getType: () => type }) as unknown as ExecutionContext;
      expect(await guard.canActivate(ctx('undeclared')), type).toBe(false);
      expect(await guard.canActivate(ctx('read')), type).toBe(false);
      expect(await guard.canActivate(ctx('open')), type).toBe(true);
    }
  });

  it('a method’s @Authenticated wins over its controller’s @Public (and the other way round)', async () => {
    @Public()
    class Catalog {
      list() {}
      @Authenticated({ scopes: ['customers:write'] }) create() {}
    }
    @Authenticated({ scopes: ['customers:read'] })
    class Customers {
      read() {}
      @Public() health() {}
    }
    const ctx = (cls: Function, handler: Function, req: AuthenticatedRequest) =>
      ({ ...context('read', req), getClass: () => cls, getHandler: () => handler }) as ExecutionContext;
    expect(await guard.canActivate(ctx(Catalog, Catalog.prototype.list, request()))).toBe(true);
    const denied = await guard
      .canActivate(ctx(Catalog, Catalog.prototype.create, request('Bearer good')))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(denied).toBeInstanceOf(InsufficientScopeError);
    expect(await guard.canActivate(ctx(Customers, Customers.prototype.health, request()))).toBe(true);
    expect(await guard.canActivate(ctx(Customers, Customers.prototype.read, request('Bearer good')))).toBe(
      true,
    );
  });

  it('puts the principal on req.user when the token carries the scopes', async () => {
    const req = request('Bearer good');
    expect(await guard.canActivate(context('read', req))).toBe(true);
    expect(req.user).toBe(principal);
    expect(events).toEqual([]);
  });

  it('needs a token on a route that declares nothing', async () => {
    expect((await refusal('undeclared', request())).status).toBe(401);
    expect(await guard.canActivate(context('undeclared', request('Bearer good')))).toBe(true);
  });

  it('no token: 401 with a bare challenge, recorded as a refusal', async () => {
    const err = await refusal('read', request());
    expect(err.status).toBe(401);
    expect(err.headers['WWW-Authenticate']).toBe('Bearer realm="scopegate"');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      decision: 'denied',
      principal: undefined,
      method: 'GET',
      route: '/customers/:id',
      url: '/customers/1',
      status: 401,
      requestId: 'req-1',
      ip: '127.0.0.1',
    });
    expect(events[0].error).toBe(err);
  });

  it('a bad token: 401 invalid_token with the verifier’s description', async () => {
    const err = await refusal('read', request('Bearer forged'));
    expect(err.toJSON()).toEqual({
      error: 'invalid_token',
      error_description: 'The access token signature is invalid',
    });
    expect(events[0]).toMatchObject({ decision: 'denied', status: 401, error: err });
  });

  it('a malformed Authorization header: 401 invalid_token without asking the verifier', async () => {
    const err = await refusal('read', request('Bearer "quoted"'));
    expect(err.description).toBe('The access token is malformed');
    expect(authenticator.authenticate).not.toHaveBeenCalled();
  });

  it('a missing scope: 403 insufficient_scope naming the route’s scopes, recorded with the caller', async () => {
    const err = await refusal('write', request('Bearer good'));
    expect(err.status).toBe(403);
    expect(err.headers['WWW-Authenticate']).toContain('scope="customers:read customers:write"');
    expect(err).toBeInstanceOf(InsufficientScopeError);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      decision: 'denied',
      principal,
      route: '/customers/:id',
      status: 403,
      scopesUsed: ['customers:read', 'customers:write'],
    });
  });

  it('reads an Express request too (route pattern from req.route, a request id generated)', async () => {
    const req = {
      method: 'GET',
      url: '/orders/7',
      baseUrl: '/v1',
      route: { path: '/orders/:id' },
      headers: {},
      query: {},
      ip: '10.0.0.1',
    } as unknown as AuthenticatedRequest;
    await refusal('read', req);
    expect(events[0]).toMatchObject({ route: '/v1/orders/:id', url: '/orders/7', ip: '10.0.0.1' });
    expect(events[0].requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
