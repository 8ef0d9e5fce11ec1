import { Airlock, type AirlockOptions } from '../sdk/src';
import { resolveApiKey } from '../lib/node/api-key-file';

/** Where the commands that call the API send their calls: the global `--url` and `--key`. */
export interface ApiTarget {
  url: string;
  key?: string;
}

/** The SDK client of one command: `--key`, else `$AIRLOCK_API_KEY`, else the embedded default's key file. */
export function apiClient(target: ApiTarget, options: Omit<AirlockOptions, 'baseUrl' | 'apiKey'> = {}): Airlock {
  return new Airlock({ ...options, baseUrl: target.url, apiKey: resolveApiKey(target.key) });
}
