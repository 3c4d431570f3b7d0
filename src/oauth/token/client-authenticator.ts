import { Injectable } from '@nestjs/common';
import { AuditService, type AuditEventInput } from '../../audit/audit.service';
import type { ClientEntity, TokenEndpointAuthMethod } from '../../clients/client.entity';
import { ClientsService } from '../../clients/clients.service';
import type { RequestMeta } from '../../platform/http/request-meta';
import { containsNul } from '../../platform/http/nul-guard';
import { InvalidClientError, InvalidRequestError } from '../../protocol/errors';

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

/**
 * RFC 6749 §2.3.1: HTTP Basic with the form-urlencoded id and secret. Returns undefined when the
 * header is not Basic at all.
 */
export function parseBasic(header: string | undefined): { clientId: string; secret: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (!m) {
    if (/^Basic\b/i.test(header))
      throw new InvalidClientError('Malformed HTTP Basic credentials', 'basic header not base64');
    return undefined;
  }
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidClientError('Malformed HTTP Basic credentials', 'no colon');
  let creds: { clientId: string; secret: string };
  try {
    const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    creds = { clientId: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    throw new InvalidClientError('Malformed HTTP Basic credentials', 'bad percent-encoding');
  }
  if (containsNul(creds)) throw new InvalidClientError('Malformed HTTP Basic credentials', 'NUL character');
  return creds;
}

/** Which credentials the request carries; more than one method is an error (RFC 6749 §2.3). */
export function presentedCredentials(
  authorization: string | undefined,
  params: Record<string, string>,
): PresentedCredentials | undefined {
  const basic = parseBasic(authorization);
  if (basic && params.client_secret !== undefined) {
    throw new InvalidRequestError('Use exactly one client authentication method');
  }
  if (basic) {
    if (params.client_id !== undefined && params.client_id !== basic.clientId) {
      throw new InvalidRequestError('client_id in the body differs from the authenticated client');
    }
    return { method: 'client_secret_basic', ...basic };
  }
  if (params.client_secret !== undefined) {
    if (params.client_id === undefined) throw new InvalidRequestError('client_secret without client_id');
    return { method: 'client_secret_post', clientId: params.client_id, secret: params.client_secret };
  }
  if (params.client_id !== undefined) return { method: 'none', clientId: params.client_id };
  return undefined;
}

/**
 * Authenticates the client of a token, revocation or introspection request: the registered method
 * only, the secret compared in constant time (current, or previous within its grace period), the
 * API key when the client requires one. Every outcome is audited — the reason, never the secret.
 */
@Injectable()
export class ClientAuthenticator {
  constructor(
    private readonly clients: ClientsService,
    private readonly audit: AuditService,
  ) {}

  async authenticate(
    authorization: string | undefined,
    params: Record<string, string>,
    apiKey: string | undefined,
    meta: RequestMeta,
  ): Promise<AuthenticatedClient> {
    let presented: PresentedCredentials | undefined;
    try {
      presented = presentedCredentials(authorization, params);
    } catch (err) {
      await this.failed(undefined, (err as Error).message, meta);
      throw err;
    }
    if (!presented) {
      await this.failed(undefined, 'no client credentials', meta);
      throw new InvalidClientError('Client authentication is required');
    }
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
    if (reason) {
      await this.failed(client ? client.clientId : undefined, reason, meta, presented.clientId);
      throw new InvalidClientError('Client authentication failed', reason, basic);
    }
    return {
      client: client!,
      event: {
        type: 'client.authenticated',
        outcome: 'success',
        actor: client!.clientId,
        clientId: client!.clientId,
        subject: client!.clientId,
        details: { method: presented.method, with_api_key: client!.requireApiKey },
        meta,
      },
    };
  }

  private failed(clientId: string | undefined, reason: string, meta: RequestMeta, claimedId?: string) {
    return this.audit.record({
      type: 'client.authentication_failed',
      outcome: 'failure',
      actor: clientId ?? null,
      clientId: clientId ?? null,
      details: {
        reason,
        ...(clientId ? {} : claimedId ? { claimed_client_id: claimedId.slice(0, 128) } : {}),
      },
      meta,
    });
  }
}
