import { ProviderName } from '../routes';

/** What a strategy needs to build its SDK client. The key is handed to the SDK and nowhere else. */
export interface ProviderClientSettings {
  apiKey: string | undefined;
  baseUrl: string | undefined;
  /** Upper bound for one attempt; each call also gets its own (possibly shorter) timeout and signal. */
  attemptTimeoutMs: number;
}

export type ProviderClientSettingsMap = Record<ProviderName, ProviderClientSettings>;
