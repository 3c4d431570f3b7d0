import { Injectable } from '@nestjs/common';
import { AuditService, type AuditEventInput } from '../../audit/audit.service';
import type { ClientEntity } from '../../clients/client.entity';
import type { TokenEndpointAuthMethod } from '../../protocol/client-auth-methods';
import { ClientsService } from '../../clients/clients.service';
import type { RequestMeta } from '../../platform/http/request-meta';
import { isMalformed, parseBasic } from '../../protocol/basic-auth';
import { ClientAuthThrottledError, InvalidClientError, InvalidRequestError } from '../../protocol/errors';
import { ClientAuthThrottle, FailureAuditAggregator } from './client-auth-throttle';

/**
 * The authenticated client and its `client.authenticated` event, which the caller commits together
 * with the events of what it does next (one transaction instead of two).
 */
export interface AuthenticatedClient {
  client: ClientEntity;
  event: AuditEventInput;
}

export interface PresentedCredentials {
  method: TokenEndpointAuthMethod;
  clientId: string;
  secret?: string;
}

/** Which credentials the request carries; more than one method is an error (RFC 6749 §2.3). */
export function presentedCredentials(
  authorization: string | undefined,
  params: Record<string, string>,
): PresentedCredentials | undefined {
  // RFC 6749 §2.3.1: the id and secret are form-urlencoded inside the Basic credentials.
  const basic = parseBasic(authorization, 'form-urlencoded');
  if (isMalformed(basic)) throw new InvalidClientError('Malformed HTTP Basic credentials', basic.malformed);
  if (basic && params.client_secret !== undefined) {
    throw new InvalidRequestError('Use exactly one client authentication method');
  }
  if (basic) {
    if (params.client_id !== undefined && params.client_id !== basic.id) {
      throw new InvalidRequestError('client_id in the body differs from the authenticated client');
    }
    return { method: 'client_secret_basic', clientId: basic.id, secret: basic.secret };
  }
  if (params.client_secret !== undefined) {
    if (params.client_id === undefined) throw new InvalidRequestError('client_secret without client_id');
    return { method: 'client_secret_post', clientId: params.client_id, secret: params.client_secret };
  }
  if (params.client_id !== undefined) return { method: 'none', clientId: params.client_id };
  return undefined;
}

/**
 * Authenticates the client of a token, revocation, introspection or `POST /auth` request: the
 * registered method only, the secret compared in constant time (current, or previous within its grace
 * period), the API key when the client requires one. Every outcome is audited — the reason, never the
 * secret; `via` (e.g. `auth`) names an endpoint other than the OAuth ones in the events' details.
 *
 * Failures are limited per (client_id, address), per address and per client_id ({@link ClientAuthThrottle}):
 * over a limit the request is answered 429 with Retry-After before any secret or key is evaluated.
 * Failures are audited at a bounded rate per address ({@link FailureAuditAggregator}).
 */
@Injectable()
export class ClientAuthenticator {
  constructor(
    private readonly clients: ClientsService,
    private readonly audit: AuditService,
    private readonly throttle: ClientAuthThrottle,
    private readonly failures: FailureAuditAggregator,
  ) {}

  async authenticate(
    authorization: string | undefined,
    params: Record<string, string>,
    apiKey: string | undefined,
    meta: RequestMeta,
    via?: string,
  ): Promise<AuthenticatedClient> {
    let presented: PresentedCredentials | undefined;
    try {
      presented = presentedCredentials(authorization, params);
    } catch (err) {
      await this.throttled(undefined, meta, via);
      await this.throttle.failed(undefined, meta.ip);
      await this.failed(undefined, (err as Error).message, meta, via);
      throw err;
    }
    if (!presented) {
      await this.throttled(undefined, meta, via);
      await this.throttle.failed(undefined, meta.ip);
      await this.failed(undefined, 'no client credentials', meta, via);
      throw new InvalidClientError('Client authentication is required');
    }
    await this.throttled(presented.clientId, meta, via);
    const basic = presented.method === 'client_secret_basic' ? 'Basic' : 'none';
    const client = presented.clientId.length <= 128 ? await this.clients.findById(presented.clientId) : null;
    const secretOk =
      presented.secret !== undefined ? this.clients.verifySecret(client, presented.secret) : false;

    let reason: string | undefined;
    if (!client) reason = 'unknown client';
    else if (client.status !== 'active') reason = 'client disabled';
    else if (client.tokenEndpointAuthMethod !== presented.method) {
      reason = `client registered ${client.tokenEndpointAuthMethod}, used ${presented.method}`;
    } else if (presented.method !== 'none' && !secretOk) reason = 'wrong secret';
    else if (client.requireApiKey && !this.clients.verifyApiKey(client, apiKey)) {
      reason = apiKey === undefined ? 'missing API key' : 'wrong API key';
    }
    if (!client || reason) {
      await this.throttle.failed(presented.clientId, meta.ip);
      await this.failed(client?.clientId, reason!, meta, via, presented.clientId);
      throw new InvalidClientError('Client authentication failed', reason, basic);
    }
    return { client, event: this.authenticated(client, presented.method, meta, via) };
  }

  /** A client identified by its API key alone, without a secret (`POST /auth` only). */
  async authenticateApiKey(apiKey: string, meta: RequestMeta, via: string): Promise<AuthenticatedClient> {
    await this.throttled(undefined, meta, via);
    const client = await this.clients.findByApiKey(apiKey);
    if (!client || client.status !== 'active') {
      await this.throttle.failed(undefined, meta.ip);
      const reason = client ? 'client disabled' : 'unknown API key';
      await this.failed(client?.clientId, reason, meta, via);
      throw new InvalidClientError('Client authentication failed', reason, 'none');
    }
    return { client, event: this.authenticated(client, 'api_key', meta, via) };
  }

  /**
   * Refuses an authenticated client that may not go on (e.g. `POST /auth` without the
   * client_credentials grant): audited like every other failure, answered `invalid_client`.
   */
  async refuse(
    clientId: string | undefined,
    reason: string,
    meta: RequestMeta,
    via?: string,
  ): Promise<never> {
    // Written as it is, not aggregated: the client has proved its credentials.
    await this.audit.record(this.failure(clientId, reason, meta, via));
    throw new InvalidClientError('Client authentication failed', reason, 'none');
  }

  /** Over a failure limit: refused (429) before the credentials are evaluated, audited like a failure. */
  private async throttled(clientId: string | undefined, meta: RequestMeta, via?: string): Promise<void> {
    const retryAfter = await this.throttle.retryAfter(clientId, meta.ip);
    if (retryAfter === 0) return;
    await this.failed(undefined, 'throttled', meta, via, clientId);
    throw new ClientAuthThrottledError(retryAfter, 'throttled');
  }

  private authenticated(
    client: ClientEntity,
    method: string,
    meta: RequestMeta,
    via?: string,
  ): AuditEventInput {
    return {
      type: 'client.authenticated',
      outcome: 'success',
      actor: client.clientId,
      clientId: client.clientId,
      subject: client.clientId,
      details: { method, with_api_key: client.requireApiKey, ...(via ? { via } : {}) },
      meta,
    };
  }

  private failed(
    clientId: string | undefined,
    reason: string,
    meta: RequestMeta,
    via?: string,
    claimedId?: string,
  ) {
    return this.failures.record(this.failure(clientId, reason, meta, via, claimedId));
  }

  private failure(
    clientId: string | undefined,
    reason: string,
    meta: RequestMeta,
    via?: string,
    claimedId?: string,
  ): AuditEventInput & { meta: RequestMeta } {
    return {
      type: 'client.authentication_failed',
      outcome: 'failure',
      actor: clientId ?? null,
      clientId: clientId ?? null,
      details: {
        reason,
        ...(clientId ? {} : claimedId ? { claimed_client_id: claimedId.slice(0, 128) } : {}),
        ...(via ? { via } : {}),
      },
      meta,
    };
  }
}
