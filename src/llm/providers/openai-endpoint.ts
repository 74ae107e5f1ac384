import type { EndpointSettings } from './endpoint-settings';
import { OpenAiProvider } from './openai.provider';
import type { ProviderDefinition } from './provider-settings';

/** The endpoint as a provider definition: the OpenAI strategy under the endpoint's name, with its capabilities. */
export function endpointDefinition(endpoint: EndpointSettings): ProviderDefinition {
  return {
    name: endpoint.name,
    environmentPrefix: endpoint.environmentPrefix,
    pricingId: endpoint.pricingId,
    create: (settings) =>
      new OpenAiProvider(settings, {
        name: endpoint.name,
        telemetryName: endpoint.name,
        capabilities: new Set(endpoint.capabilities),
      }),
  };
}
