import { findProvider } from '@pydantic/genai-prices';
import { isURL } from 'class-validator';
import { Environment, listItems } from '../../config/validate-environment';
import {
  DEFAULT_ENDPOINT_CAPABILITIES,
  ENDPOINT_CAPABILITIES,
  EndpointCapability,
  EndpointSettings,
} from '../providers/endpoint-settings';
import { PROVIDER_ID, PROVIDER_NAMES } from '../routes';
import type { ProviderSettings } from './llm.config';
import { providerConnection, URL_RULE } from './provider-environment';

/** `local-vllm` reads LOCAL_VLLM_API_KEY. */
export function environmentPrefixOf(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

function capabilitiesOf(
  text: string | undefined,
  variable: string,
  problems: string[],
): readonly EndpointCapability[] {
  if (text === undefined) return DEFAULT_ENDPOINT_CAPABILITIES;
  const items = text
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0 && item !== 'none');
  const known = (item: string): item is EndpointCapability =>
    (ENDPOINT_CAPABILITIES as readonly string[]).includes(item);
  if (!items.every(known))
    problems.push(
      `${variable}: must list what the endpoint supports, of ${ENDPOINT_CAPABILITIES.join(', ')} (or none)`,
    );
  return items.filter(known);
}

function pricingOf(
  name: string,
  text: string | undefined,
  variable: string,
  problems: string[],
): string | undefined {
  const id = text?.trim().toLowerCase();
  if (id) {
    if (!findProvider({ providerId: id }))
      problems.push(`${variable}: names no provider of the maintained price data (azure, groq, …)`);
    return id;
  }
  return findProvider({ providerId: name }) ? name : undefined;
}

/**
 * LLM_ENDPOINTS=`name:base-url,…`: named OpenAI-compatible endpoints, each with its base URL from the list and its
 * keys from its own `<PREFIX>_API_KEY(S)` (and its declared `<PREFIX>_CAPABILITIES`, `<PREFIX>_PRICING`). An endpoint without a key is
 * skipped like a vendor without one (a server that takes no key: set `<PREFIX>_API_KEY=none`).
 */
export function parseEndpoints(
  env: Environment,
  problems: string[],
): { endpoints: EndpointSettings[]; connections: Record<string, ProviderSettings> } {
  const endpoints: EndpointSettings[] = [];
  const connections: Record<string, ProviderSettings> = {};
  const items = listItems(env.LLM_ENDPOINTS);
  for (const [position, item] of items.entries()) {
    const at = item.indexOf(':');
    const name = item.slice(0, Math.max(0, at)).trim().toLowerCase();
    const baseUrl = item.slice(at + 1).trim();
    const problem = `LLM_ENDPOINTS: item ${position + 1}`;
    if (at <= 0 || !PROVIDER_ID.test(name) || name === 'llm') {
      problems.push(
        `${problem} is not name:base-url (a name of lower-case letters, digits, _ -, starting with a letter)`,
      );
      continue;
    }
    if ((PROVIDER_NAMES as readonly string[]).includes(name)) {
      problems.push(`${problem} takes a vendor's name; that vendor's own variables configure it`);
      continue;
    }
    const prefix = environmentPrefixOf(name);
    if (endpoints.some((endpoint) => endpoint.environmentPrefix === prefix)) {
      problems.push(`${problem}: the name is used twice`);
      continue;
    }
    if (!isURL(baseUrl, URL_RULE)) {
      problems.push(`${problem}: the base URL must be an http(s) URL`);
      continue;
    }
    const connection = providerConnection(env, prefix, problems);
    connections[name] = { ...connection, baseUrl };
    endpoints.push({
      name,
      environmentPrefix: prefix,
      capabilities: capabilitiesOf(
        env[`${prefix}_CAPABILITIES`],
        `${prefix}_CAPABILITIES`,
        problems,
      ),
      pricingId: pricingOf(name, env[`${prefix}_PRICING`], `${prefix}_PRICING`, problems),
    });
  }
  return { endpoints, connections };
}
