import { IsOptional, IsString, IsUrl } from 'class-validator';
import {
  ConfigValidationError,
  Environment,
  listItems,
  validateEnvironment,
} from '../../config/validate-environment';
import type { ProviderSettings } from './llm.config';

export const URL_RULE = {
  require_tld: false,
  require_protocol: true,
  protocols: ['http', 'https'],
};

/** `<PREFIX>_API_KEY`, `<PREFIX>_API_KEYS` and `<PREFIX>_BASE_URL` of one provider (a vendor or an endpoint). */
class ProviderEnvironment {
  @IsOptional() @IsString() API_KEY?: string;
  @IsOptional() @IsString() API_KEYS?: string;
  @IsOptional() @IsUrl(URL_RULE) BASE_URL?: string;
}

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * A provider's keys: `<PREFIX>_API_KEYS=name:key,name:key` (names are what logs and status pages show), and
 * `<PREFIX>_API_KEY` as one more named `default` (first) unless the list already holds that key. Problems name the
 * variable and the item's position, never a key.
 */
function parseKeys(
  single: string | undefined,
  list: string | undefined,
  variable: string,
  problems: string[],
): Array<{ name: string; key: string }> {
  const keys: Array<{ name: string; key: string }> = [];
  const items = listItems(list);
  for (const [position, item] of items.entries()) {
    const at = item.indexOf(':');
    const name = item.slice(0, Math.max(0, at));
    const key = item.slice(at + 1).trim();
    if (at <= 0 || !KEY_NAME.test(name) || key.length === 0) {
      problems.push(
        `${variable}: item ${position + 1} is not name:key (a name of letters, digits, . _ -, then the key)`,
      );
      continue;
    }
    if (keys.some((existing) => existing.name === name)) {
      problems.push(`${variable}: the name of item ${position + 1} is used twice`);
      continue;
    }
    keys.push({ name, key });
  }
  const trimmed = single?.trim();
  if (trimmed && !keys.some((entry) => entry.key === trimmed))
    keys.unshift({
      name: keys.some((entry) => entry.name === 'default') ? 'env' : 'default',
      key: trimmed,
    });
  return keys;
}

/** One provider's keys and base URL from its `<PREFIX>_*` variables; problems name the variable, never a value. */
export function providerConnection(
  env: Environment,
  prefix: string,
  problems: string[],
): ProviderSettings {
  try {
    const parsed = validateEnvironment(ProviderEnvironment, {
      API_KEY: env[`${prefix}_API_KEY`],
      API_KEYS: env[`${prefix}_API_KEYS`],
      BASE_URL: env[`${prefix}_BASE_URL`],
    });
    const keys = parseKeys(parsed.API_KEY, parsed.API_KEYS, `${prefix}_API_KEYS`, problems);
    return { apiKey: keys[0]?.key, baseUrl: parsed.BASE_URL, keys };
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    problems.push(...error.problems.map((problem) => `${prefix}_${problem}`));
    return { apiKey: undefined, baseUrl: undefined };
  }
}
