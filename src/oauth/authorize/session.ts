import { createHmac } from 'node:crypto';
import { randomSecret, safeEqual } from '../../platform/crypto';

export const SESSION_COOKIE = 'sg_session';

/** The sign-in state of the login and consent pages, kept client-side in a signed cookie. */
export interface SessionData {
  /** Random per session; the CSRF token is derived from it and it changes at sign-in (fixation). */
  sid: string;
  /** The signed-in user, once the password was verified. */
  uid?: string;
  /** Seconds since the epoch of the sign-in (OIDC `auth_time`). */
  at?: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/**
 * HMAC-SHA-256-signed cookie: `base64url(json).base64url(mac)`. Nothing secret is inside; the MAC
 * makes it tamper-proof, HttpOnly keeps scripts away from it, SameSite=Lax keeps it off cross-site
 * POSTs (the CSRF token covers the rest).
 */
export class SessionCodec {
  constructor(private readonly key: Buffer) {}

  static deriveKey(pepper: string): Buffer {
    return createHmac('sha256', pepper).update('scopegate login session v1').digest();
  }

  fresh(ttlSeconds: number, now: number, user?: { uid: string; at: number }): SessionData {
    return { sid: randomSecret(16), ...user, exp: now + ttlSeconds } as SessionData;
  }

  encode(data: SessionData): string {
    const body = Buffer.from(JSON.stringify(data), 'utf8').toString('base64url');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  decode(value: string | undefined, now: number): SessionData | undefined {
    if (!value || value.length > 1024) return undefined;
    const dot = value.indexOf('.');
    if (dot < 0) return undefined;
    const body = value.slice(0, dot);
    if (!safeEqual(Buffer.from(value.slice(dot + 1), 'base64url'), this.mac(body))) return undefined;
    try {
      const data = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SessionData;
      if (typeof data.sid !== 'string' || typeof data.exp !== 'number' || data.exp <= now) return undefined;
      return data;
    } catch {
      return undefined;
    }
  }

  /** The CSRF token of the forms of this session (synchroniser token bound to the signed cookie). */
  csrfToken(session: SessionData): string {
    return createHmac('sha256', this.key).update(`csrf|${session.sid}`).digest('base64url');
  }

  checkCsrf(session: SessionData | undefined, token: string | undefined): boolean {
    if (!session || !token) return false;
    return safeEqual(Buffer.from(token, 'utf8'), Buffer.from(this.csrfToken(session), 'utf8'));
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(`session|${body}`).digest();
  }
}

/** One cookie value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(value: string, maxAge: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/oauth',
    `Max-Age=${maxAge}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
