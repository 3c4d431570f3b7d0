import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { Algorithm } from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import { SIGNING_ALGORITHMS, type AppConfig } from '../config/env';
import { KeysService } from '../keys/keys.service';
import { RevocationService } from '../tokens/revocation.service';
import type { AuthenticatedRequest } from './decorators';
import type { Principal } from './principal';

/** Every algorithm access tokens may carry: the asymmetric signing algorithms, never HS* or none. */
export const ACCESS_TOKEN_ALGORITHMS: readonly string[] = SIGNING_ALGORITHMS;
/** What jsonwebtoken verifies; EdDSA, which it lacks, is verified with jose (see below). */
export const VERIFY_ALGORITHMS = SIGNING_ALGORITHMS.filter((a) => a !== 'EdDSA') as Algorithm[];

/** Where the guard leaves the already-extracted bearer token for passport. */
export const BEARER_TOKEN = Symbol('bearerToken');
export const VERIFIED_KID = Symbol('verifiedKid');
export type RequestWithToken = AuthenticatedRequest & { [BEARER_TOKEN]?: string; [VERIFIED_KID]?: string };

/**
 * passport-jwt verifies through jsonwebtoken, which has no EdDSA: Ed25519 keys are verified with
 * `jose` instead, with the same issuer, audience and leeway checks. (passport-jwt exposes this static
 * hook for exactly such replacement.)
 */
type Verifier = (
  token: string,
  key: unknown,
  options: JwtVerifyOptions,
  cb: (err: Error | null, payload?: unknown) => void,
) => void;
interface JwtVerifyOptions {
  issuer?: string;
  audience?: string;
  clockTolerance?: number;
}
const StrategyWithVerifier = Strategy as unknown as { JwtVerifier: Verifier };
const jsonwebtokenVerifier = StrategyWithVerifier.JwtVerifier;
StrategyWithVerifier.JwtVerifier = (token, key, options, cb) => {
  if ((key as KeyObject | undefined)?.asymmetricKeyType !== 'ed25519')
    return jsonwebtokenVerifier(token, key, options, cb);
  jwtVerify(token, key as KeyObject, {
    algorithms: ['EdDSA'],
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockTolerance,
  }).then(
    (r) => cb(null, r.payload),
    (err: Error) => cb(err),
  );
};

/** Why a token was refused; the message is safe to show the client. */
export class TokenRejected extends Error {}

interface AccessTokenClaims {
  jti?: unknown;
  sub?: unknown;
  client_id?: unknown;
  scope?: unknown;
  exp?: unknown;
  iat?: unknown;
}

/**
 * Resource-server verification of RFC 9068 access tokens :
 * the key is chosen by `kid` from our key store, the algorithm must be exactly that key's, `typ` must
 * be `at+jwt`, and `iss`, `aud`, `exp`/`nbf` are checked with a 5-second leeway (RFC 8725 §3.1, §3.11).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    keys: KeysService,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
    private readonly revocations: RevocationService,
  ) {
    super({
      jwtFromRequest: (req: RequestWithToken) => req[BEARER_TOKEN] ?? null,
      passReqToCallback: true,
      secretOrKeyProvider: (
        req: RequestWithToken,
        rawJwt: string,
        done: (err: Error | null, key?: string) => void,
      ) => {
        let header: ReturnType<typeof decodeProtectedHeader>;
        try {
          header = decodeProtectedHeader(rawJwt);
        } catch {
          return done(new TokenRejected('The access token is malformed'));
        }
        const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : '';
        if (typ !== 'at+jwt' && typ !== 'application/at+jwt')
          return done(new TokenRejected('The token is not an access token (typ)'));
        if (header.crit !== undefined)
          return done(new TokenRejected('The token has unsupported critical header parameters'));
        const key = typeof header.kid === 'string' ? keys.verificationKey(header.kid) : undefined;
        if (!key) return done(new TokenRejected('The token was not signed by a key of this server'));
        if (header.alg !== key.alg)
          return done(new TokenRejected('The token algorithm does not match its key'));
        req[VERIFIED_KID] = key.kid;
        // passport-jwt's types say string | Buffer; jsonwebtoken takes the KeyObject (no PEM re-parse per request).
        done(null, key.publicKey as unknown as string);
      },
      algorithms: VERIFY_ALGORITHMS,
      issuer: config.get('ISSUER', { infer: true }),
      audience: config.get('ACCESS_TOKEN_AUDIENCE', { infer: true }),
      jsonWebTokenOptions: { clockTolerance: 5 },
    });
  }

  async validate(req: RequestWithToken, claims: AccessTokenClaims): Promise<Principal> {
    const { jti, sub, client_id, scope, exp } = claims;
    if (
      typeof jti !== 'string' ||
      typeof sub !== 'string' ||
      typeof client_id !== 'string' ||
      typeof scope !== 'string' ||
      typeof exp !== 'number' ||
      typeof claims.iat !== 'number'
    ) {
      throw new TokenRejected('The access token lacks required claims');
    }
    if (await this.revocations.isRevoked(jti)) throw new TokenRejected('The access token was revoked');
    return {
      jti,
      sub,
      clientId: client_id,
      scopes: new Set(scope.split(' ').filter(Boolean)),
      exp,
      kid: req[VERIFIED_KID],
    };
  }
}
