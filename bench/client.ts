import { Airlock, baseUrlFromEnv, type AirlockOptions } from '../sdk/src';
import { resolveApiKey } from '../lib/node/api-key-file';

/** The `--url` option every bench takes: `$AIRLOCK_URL`, else the embedded service. */
export const urlOption = { type: 'string', default: baseUrlFromEnv() } as const;

/**
 * The SDK client a bench measures through. No retries unless asked: a retried call would hide a
 * refusal inside a longer sample. The key is `$AIRLOCK_API_KEY`, else the embedded default's.
 */
export function benchClient(url: string, options: Omit<AirlockOptions, 'baseUrl'> = {}): Airlock {
  const apiKey = options.apiKey ?? resolveApiKey();
  if (!apiKey) throw new Error('no API key: set AIRLOCK_API_KEY or start the service with npm start');
  return new Airlock({ maxRetries: 0, ...options, baseUrl: url, apiKey });
}
