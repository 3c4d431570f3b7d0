import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApisService } from '../../apis/apis.service';
import { AuditService, type AuditEventInput } from '../../audit/audit.service';
import type { AuditOutcome } from '../../audit/audit-event.entity';
import { ClientsService } from '../../clients/clients.service';
import type { RequestMeta } from '../../platform/http/request-meta';
import type { AppConfig } from '../../config/env';
import { formatScope, parseScope } from '../../protocol/scope-syntax';
import type { UserEntity } from '../../users/user.entity';
import { AuthorizationCodesService } from '../../tokens/codes/authorization-codes.service';
import { ConsentsService } from '../../tokens/consents/consents.service';
import {
  AuthorizePageError,
  AuthorizeRedirectError,
  readAuthorizationParams,
  type AuthorizationRequest,
} from './authorization-request';
import { clientRequestedScopes } from '../../protocol/delegated-scopes';
import { challengeProblem } from '../../protocol/pkce';
import { redirectUriMatches } from '../../protocol/redirect-uri-match';
import { InvalidTargetError } from '../../protocol/errors';
import { parseResources } from '../../protocol/resource-indicator';

const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

/** Validates authorization requests, remembers consents and issues authorization codes. */
@Injectable()
export class AuthorizeService {
  constructor(
    private readonly clients: ClientsService,
    private readonly audit: AuditService,
    private readonly codes: AuthorizationCodesService,
    private readonly consents: ConsentsService,
    private readonly apis: ApisService,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
  ) {}

  get issuer(): string {
    return this.config.get('ISSUER', { infer: true });
  }

  /**
   * RFC 6749 §4.1.1 in the order RFC 9700 §4.1 demands: client and redirect URI first (errors →
   * page), then everything else (errors → redirect with `state` and `iss`).
   */
  async validate(source: unknown): Promise<AuthorizationRequest> {
    const { params, resources: requestedResources, invalid } = readAuthorizationParams(source);
    const page = (description: string, detail: string) =>
      new AuthorizePageError('Invalid authorization request', description, detail);

    if (invalid.has('client_id')) throw page(invalid.get('client_id')!, 'bad client_id');
    if (!params.client_id) throw page('The request has no client_id.', 'no client_id');
    const client = params.client_id.length <= 128 ? await this.clients.findById(params.client_id) : null;
    if (!client || client.status !== 'active')
      throw page(
        'The application is unknown or disabled.',
        `unknown client ${params.client_id.slice(0, 128)}`,
      );

    if (invalid.has('redirect_uri')) throw page(invalid.get('redirect_uri')!, 'bad redirect_uri');
    let redirectUri = params.redirect_uri;
    const explicit = redirectUri !== undefined;
    if (redirectUri === undefined) {
      // RFC 6749 §3.1.2.3: may be omitted only when exactly one is registered.
      if (client.redirectUris.length !== 1)
        throw page('The request has no redirect_uri.', 'redirect_uri missing, several registered');
      redirectUri = client.redirectUris[0];
    } else if (!redirectUriMatches(client.redirectUris, redirectUri)) {
      throw page(
        'The redirect_uri is not registered for this application.',
        `redirect_uri mismatch for ${client.clientId}`,
      );
    }

    const state = invalid.has('state') ? undefined : params.state;
    const fail = (error: string, description: string) =>
      new AuthorizeRedirectError(error, description, { redirectUri: redirectUri, state });
    const [firstInvalid] = invalid.values();
    if (firstInvalid) throw fail('invalid_request', firstInvalid);
    if (!params.response_type) throw fail('invalid_request', 'response_type is required');
    if (params.response_type !== 'code')
      throw fail('unsupported_response_type', 'Only response_type=code is supported');
    if (!client.grantTypes.includes('authorization_code'))
      throw fail('unauthorized_client', 'This client may not use the authorization_code grant');
    if (params.response_mode !== undefined && params.response_mode !== 'query')
      throw fail('invalid_request', 'Only response_mode=query is supported');

    // RFC 7636, RFC 9700 §2.1.1: PKCE with S256 for every client.
    const pkce = challengeProblem(params.code_challenge, params.code_challenge_method, true);
    if (pkce) throw fail('invalid_request', pkce);

    const requested = params.scope === undefined ? undefined : parseScope(params.scope);
    if (params.scope !== undefined && !requested)
      throw fail('invalid_scope', 'The scope parameter is malformed');
    const chosen = clientRequestedScopes(requested, await this.clients.allowedScopes(client));
    if ('outside' in chosen)
      throw fail('invalid_scope', `Scope not allowed for this client: ${chosen.outside.join(' ')}`);
    if (chosen.scopes.length === 0) throw fail('invalid_scope', 'This client has no scopes it may request');

    // RFC 8707 §2: every resource must be a registered API; otherwise invalid_target.
    let resources: string[];
    try {
      resources = parseResources(requestedResources);
      await this.apis.resolve(resources);
    } catch (err) {
      if (err instanceof InvalidTargetError) throw fail(err.error, err.description);
      throw err;
    }

    const prompt = new Set((params.prompt ?? '').split(' ').filter(Boolean));
    if ([...prompt].some((p) => !PROMPTS.has(p)))
      throw fail('invalid_request', 'prompt must be none, login, consent or select_account');
    if (prompt.has('none') && prompt.size > 1)
      throw fail('invalid_request', 'prompt=none cannot be combined with other values');
    if (params.nonce !== undefined && params.nonce.length > 512)
      throw fail('invalid_request', 'nonce is too long');
    // OIDC Core §6: request objects are not supported, and say so instead of being ignored.
    if (params.request !== undefined)
      throw fail('request_not_supported', 'Request objects are not supported');
    if (params.request_uri !== undefined)
      throw fail('request_uri_not_supported', 'request_uri is not supported');
    let maxAge: number | undefined;
    if (params.max_age !== undefined) {
      if (!/^\d{1,9}$/.test(params.max_age))
        throw fail('invalid_request', 'max_age must be a number of seconds');
      maxAge = Number(params.max_age);
    }

    return {
      client,
      redirectUri,
      redirectUriExplicit: explicit,
      state,
      scopes: chosen.scopes,
      codeChallenge: params.code_challenge!,
      codeChallengeMethod: 'S256',
      nonce: params.nonce,
      prompt,
      maxAge,
      loginHint: params.login_hint?.slice(0, 64),
      resources,
      params: resources.length ? { ...params, resource: resources } : params,
    };
  }

  /** The scopes the user has approved for the client, if any. */
  consentedScopes(userId: string, clientId: string): Promise<string[] | undefined> {
    return this.consents.scopesOf(userId, clientId);
  }

  /** Remembers the approval: the union with earlier approvals of the same client. */
  async rememberConsent(user: UserEntity, req: AuthorizationRequest, scopes: string[], meta: RequestMeta) {
    await this.consents.remember(user.id, req.client.clientId, scopes);
    return this.event('consent.granted', 'success', user, req, meta, { scope: formatScope(scopes) });
  }

  /**
   * Issues a code (RFC 6749 §4.1.2): 256-bit random, stored only as its keyed hash, with its
   * `code.issued` event (and any others, e.g. the consent).
   */
  async issueCode(
    user: UserEntity,
    authTime: number,
    req: AuthorizationRequest,
    scopes: string[],
    meta: RequestMeta,
    events: AuditEventInput[] = [],
  ): Promise<string> {
    const { code, grantId, expiresIn } = await this.codes.issue({
      clientId: req.client.clientId,
      userId: user.id,
      redirectUri: req.redirectUri,
      redirectUriExplicit: req.redirectUriExplicit,
      scopes,
      resources: req.resources,
      codeChallenge: req.codeChallenge,
      codeChallengeMethod: req.codeChallengeMethod,
      nonce: req.nonce,
      authTime: new Date(authTime * 1000),
    });
    // Committed before the code is handed out.
    await this.audit.commit([
      ...events,
      this.event('code.issued', 'success', user, req, meta, {
        grant_id: grantId,
        scope: formatScope(scopes),
        redirect_uri: req.redirectUri,
        ...(req.resources.length ? { resources: req.resources } : {}),
        code_challenge_method: req.codeChallengeMethod,
        expires_in: expiresIn,
      }),
    ]);
    return code;
  }

  event(
    type: string,
    outcome: AuditOutcome,
    user: UserEntity | null,
    req: AuthorizationRequest,
    meta: RequestMeta,
    details: Record<string, unknown>,
  ): AuditEventInput {
    return {
      type,
      outcome,
      actor: user?.id ?? null,
      subject: user?.id ?? null,
      clientId: req.client.clientId,
      details,
      meta,
    };
  }
}
