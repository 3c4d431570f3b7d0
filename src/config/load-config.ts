import { existsSync } from 'node:fs';
import { finalizeConfig, validateEnv, type AppConfig } from './env';
import { fillZeroSetupSecrets } from './zero-setup-secrets';

/** Reads `.env` (when present, never overriding the real environment), validates and completes it. */
export function loadConfig(
  raw: Record<string, string | undefined> = process.env,
  envFile: string | false = '.env',
): AppConfig {
  if (envFile && existsSync(envFile) && raw === process.env) process.loadEnvFile(envFile);
  return finalizeConfig(fillZeroSetupSecrets(validateEnv(raw)));
}
