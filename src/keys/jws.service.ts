import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import type { Algorithm } from 'jsonwebtoken';
import type { SigningKey, VerificationKey } from './keys.service';

export interface VerifyOptions {
  issuer: string;
  audience: string;
  clockTolerance: number;
  ignoreExpiration?: boolean;
}

/**
 * Compact JWS with the key's own algorithm. @nestjs/jwt (jsonwebtoken) is the fast path for ES*, RS*
 * and PS* with KeyObjects; it has no EdDSA, so Ed25519 goes through `jose`.
 */
@Injectable()
export class JwsService {
  constructor(private readonly jwt: JwtService) {}

  async sign(payload: JWTPayload, key: SigningKey, typ: string): Promise<string> {
    if (key.alg === 'EdDSA') {
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'EdDSA', typ, kid: key.kid })
        .sign(key.privateKey);
    }
    return this.jwt.sign(payload as Record<string, unknown>, {
      privateKey: key.privateKey,
      algorithm: key.alg as Algorithm,
      header: { alg: key.alg, typ, kid: key.kid } as never,
    });
  }

  /** Verifies with exactly the key's algorithm (RFC 8725 §3.1); throws on any failure. */
  async verify(token: string, key: VerificationKey, opts: VerifyOptions): Promise<JWTPayload> {
    if (key.alg === 'EdDSA') {
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: ['EdDSA'],
        issuer: opts.issuer,
        audience: opts.audience,
        clockTolerance: opts.clockTolerance,
        ...(opts.ignoreExpiration ? { currentDate: new Date(0) } : {}),
      });
      return payload;
    }
    return this.jwt.verify<JWTPayload & object>(token, {
      publicKey: key.publicKey as never,
      algorithms: [key.alg as Algorithm],
      issuer: opts.issuer,
      audience: opts.audience,
      clockTolerance: opts.clockTolerance,
      ignoreExpiration: opts.ignoreExpiration ?? false,
    });
  }
}
