import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, Not, Repository } from 'typeorm';
import { Clock } from '../../platform/clock';
import { keyedHash, randomSecret } from '../../platform/crypto';
import type { AppConfig } from '../../config/env';
import { AuthorizationCodeEntity } from './authorization-code.entity';

/** Authorization codes live 60 seconds (RFC 6749 §4.1.2: short-lived, at most 10 minutes). */
const CODE_TTL_SECONDS = 60;

/** What the authorization endpoint binds a code to (RFC 6749 §4.1.2, RFC 7636 §4.4, OIDC nonce). */
export interface CodeBinding {
  clientId: string;
  userId: string;
  redirectUri: string;
  /** Whether the authorization request named the redirect URI (then the token request must). */
  redirectUriExplicit: boolean;
  scopes: string[];
  /** RFC 8707 resources requested (empty: the default audience). */
  resources: string[];
  codeChallenge: string;
  codeChallengeMethod: string;
  nonce?: string;
  authTime: Date;
}

export interface IssuedCode {
  code: string;
  /** Shared by the access and refresh tokens issued from this code. */
  grantId: string;
  expiresIn: number;
}

/**
 * RFC 6749 §4.1.2 authorization codes: 256-bit random, stored only as their keyed hash, single use.
 * `consume` is one conditional UPDATE, so of two concurrent exchanges exactly one wins; the loser is a
 * replay, marked on the code so that the winner can tell that its tokens must be revoked too.
 */
@Injectable()
export class AuthorizationCodesService {
  private readonly pepper: string;

  constructor(
    @InjectRepository(AuthorizationCodeEntity) private readonly codes: Repository<AuthorizationCodeEntity>,
    private readonly clock: Clock,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
  ) {
    this.pepper = config.get('SECRET_PEPPER', { infer: true });
  }

  async issue(binding: CodeBinding): Promise<IssuedCode> {
    const code = randomSecret(32);
    const grantId = randomUUID();
    await this.codes.insert({
      ...binding,
      nonce: binding.nonce ?? null,
      codeHash: keyedHash(this.pepper, code),
      grantId,
      expiresAt: new Date(this.clock.now() + CODE_TTL_SECONDS * 1000),
      usedAt: null,
      replayedAt: null,
    });
    return { code, grantId, expiresIn: CODE_TTL_SECONDS };
  }

  /** The code's record, used or not, expired or not (the grant decides in RFC order); undefined if unknown. */
  async find(code: string): Promise<AuthorizationCodeEntity | undefined> {
    return (await this.codes.findOneBy({ codeHash: keyedHash(this.pepper, code) })) ?? undefined;
  }

  /**
   * Uses the code: true for the one use that wins; false when it was used before — a replay, which is
   * recorded on the code (`replayed_at`) and must revoke the grant (RFC 6749 §4.1.2).
   */
  async consume(code: AuthorizationCodeEntity): Promise<boolean> {
    const now = new Date(this.clock.now());
    const won = await this.codes.update({ codeHash: code.codeHash, usedAt: IsNull() }, { usedAt: now });
    if (won.affected) return true;
    await this.codes.update({ codeHash: code.codeHash }, { replayedAt: now });
    return false;
  }

  /** Whether a replay of the code was detected (e.g. one that raced the winning exchange). */
  async wasReplayed(code: AuthorizationCodeEntity): Promise<boolean> {
    return this.codes.existsBy({ codeHash: code.codeHash, replayedAt: Not(IsNull()) });
  }

  /** Drops the user's unexchanged codes at the client (its consent was revoked); returns how many. */
  async discardUnused(userId: string, clientId: string): Promise<number> {
    return (await this.codes.delete({ userId, clientId, usedAt: IsNull() })).affected ?? 0;
  }
}
