import {
  Logger,
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { Principal } from '../core/access-token';
import { OAuthError } from '../core/errors';
import type { UsageEvent } from '../core/usage-reporter';
import {
  createVerifier,
  type ScopegateVerifier,
  type VerifierOptions,
  type VerifierStatus,
} from '../core/verifier';
import { AccessTokenGuard } from './access-token.guard';
import { ApiCallInterceptor } from './api-call.interceptor';
import { ClaimsInterceptor } from './claims.interceptor';
import { ClaimsService } from './claims.service';
import { OAuthErrorFilter } from './oauth-error.filter';
import { AccessTokenAuthenticator, ApiCallRecorder, ClaimCatalog, type ApiCall } from './ports';

export type ScopegateModuleOptions = Omit<VerifierOptions, 'logger' | 'audience'> & {
  /** This API's resource identifier (RFC 8707): tokens must carry it in `aud`. */
  audience: string;
  /** Where the package logs (a few lines per outage). Default: Nest's Logger with context "Scopegate". */
  logger?: VerifierOptions['logger'];
};

export interface ScopegateModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: never[]) => ScopegateModuleOptions | Promise<ScopegateModuleOptions>;
}

export interface ScopegatePortsOptions {
  /** Modules exporting what the port bindings need. */
  imports?: ModuleMetadata['imports'];
  /** Bindings of AccessTokenAuthenticator, ClaimCatalog and ApiCallRecorder. */
  providers: Provider[];
}

/**
 * The remote verifier forRoot creates, as a DI token: inject it for readiness checks (`status()`,
 * `whenReady()`) or to verify tokens outside HTTP routes.
 */
export abstract class ScopegateClient implements ScopegateVerifier {
  abstract readonly audience?: string;
  abstract verify(token: string, audience?: string): Promise<Principal>;
  abstract categoriesGrantedBy(scopes: Iterable<string>): ReadonlySet<string>;
  abstract scopesGranting(category: string): string[];
  abstract reportUsage(event: UsageEvent): void;
  abstract status(): VerifierStatus;
  abstract whenReady(timeoutMs?: number): Promise<boolean>;
  abstract start(): void;
  abstract close(): Promise<void>;
}

const OPTIONS = Symbol('ScopegateModuleOptions');

/** The ports bound to a remote Scopegate. */
const remotePorts: Provider[] = [
  {
    provide: ScopegateClient,
    useFactory: (options: ScopegateModuleOptions): ScopegateVerifier => {
      if (!options.audience) throw new Error('ScopegateModule: audience is required (this API’s identifier)');
      const verifier = createVerifier({ ...options, logger: options.logger ?? new Logger('Scopegate') });
      verifier.start();
      return verifier;
    },
    inject: [OPTIONS],
  },
  {
    provide: AccessTokenAuthenticator,
    useFactory: (v: ScopegateVerifier): AccessTokenAuthenticator => ({ authenticate: (t) => v.verify(t) }),
    inject: [ScopegateClient],
  },
  {
    provide: ClaimCatalog,
    useFactory: (v: ScopegateVerifier): ClaimCatalog => ({
      categoriesGrantedBy: (s) => v.categoriesGrantedBy(s),
      scopesGranting: (c) => v.scopesGranting(c),
    }),
    inject: [ScopegateClient],
  },
  {
    provide: ApiCallRecorder,
    useFactory: (v: ScopegateVerifier): ApiCallRecorder => ({
      record: (call) => {
        const event = usageEventOf(call);
        if (event) v.reportUsage(event);
        return undefined;
      },
    }),
    inject: [ScopegateClient],
  },
];

/** A call as a usage report; calls without a valid token are not reportable (nothing to attribute). */
function usageEventOf(call: ApiCall) {
  if (!call.principal) return undefined;
  return {
    jti: call.principal.jti,
    method: call.method,
    path: call.route.slice(0, 512),
    status: call.status,
    decision: call.decision,
    scopes_used: [...call.scopesUsed],
    ...(call.error instanceof OAuthError ? { reason: call.error.error } : {}),
    occurred_at: call.occurredAt.toISOString(),
    request_id: call.requestId,
    ...(call.ip ? { ip: call.ip } : {}),
    ...(call.userAgent ? { user_agent: call.userAgent } : {}),
  };
}

class ScopegateShutdown implements OnApplicationShutdown {
  constructor(private readonly client: ScopegateVerifier) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/**
 * Protects every route of the application with Scopegate access tokens: one global guard denies by
 * default (`@Public()` opens a route, `@Authenticated({ scopes })` names its scopes), the claims
 * interceptor filters responses by claim category, and every protected call is reported.
 */
@Module({})
export class ScopegateModule {
  /** Against a Scopegate server: its metadata, published keys, revocation feed and claims catalog. */
  static forRoot(options: ScopegateModuleOptions): DynamicModule {
    return ScopegateModule.remote([{ provide: OPTIONS, useValue: options }]);
  }

  static forRootAsync(options: ScopegateModuleAsyncOptions): DynamicModule {
    return ScopegateModule.remote(
      [{ provide: OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }],
      options.imports,
    );
  }

  /**
   * With the ports bound by the application itself — how an authorization server protects its own
   * routes with the same guard, decorators and claims filter. Errors are left to the application's
   * exception filter.
   */
  static forPorts({ imports = [], providers }: ScopegatePortsOptions): DynamicModule {
    return {
      module: ScopegateModule,
      global: true,
      imports,
      providers: [...providers, ...ScopegateModule.pipeline()],
      exports: [ClaimsService],
    };
  }

  private static remote(optionsProvider: Provider[], imports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: ScopegateModule,
      global: true,
      imports,
      providers: [
        ...optionsProvider,
        ...remotePorts,
        {
          provide: ScopegateShutdown,
          useFactory: (c: ScopegateVerifier) => new ScopegateShutdown(c),
          inject: [ScopegateClient],
        },
        ...ScopegateModule.pipeline(),
        { provide: APP_FILTER, useClass: OAuthErrorFilter },
      ],
      exports: [ClaimsService, ScopegateClient],
    };
  }

  private static pipeline(): Provider[] {
    return [
      ClaimsService,
      { provide: APP_GUARD, useClass: AccessTokenGuard },
      // In this order: claims filtering outside, the call record inside.
      { provide: APP_INTERCEPTOR, useClass: ClaimsInterceptor },
      { provide: APP_INTERCEPTOR, useClass: ApiCallInterceptor },
    ];
  }
}
