import { asObject, dig, JsonObject, ParsedCall, SimulatedToolCall, textOf } from './dialect';
import { sampleFromSchema } from './sample-from-schema';

interface OfferedTools {
  names: Array<{ name: string; parameters: JsonObject | undefined }>;
  /** `none`, `auto`, `required`, or the one tool the request insists on. */
  choice: 'auto' | 'none' | 'required' | { name: string };
}

const list = (value: unknown): JsonObject[] =>
  Array.isArray(value) ? (value as JsonObject[]) : [];

/** The functions a request offers and how it lets the model use them, in each provider's wire format. */
function offeredTools(call: ParsedCall): OfferedTools | undefined {
  const body = call.body;
  switch (call.provider) {
    case 'openai': {
      const names = list(body.tools).map((tool) => ({
        name: String(dig(tool, 'function', 'name')),
        parameters: asObject(dig(tool, 'function', 'parameters')),
      }));
      const choice = body.tool_choice;
      return names.length === 0
        ? undefined
        : {
            names,
            choice:
              choice === 'none' || choice === 'required' || choice === 'auto'
                ? choice
                : typeof dig(choice, 'function', 'name') === 'string'
                  ? { name: String(dig(choice, 'function', 'name')) }
                  : 'auto',
          };
    }
    case 'anthropic': {
      const names = list(body.tools).map((tool) => ({
        name: String(tool.name),
        parameters: asObject(tool.input_schema),
      }));
      const type = dig(body, 'tool_choice', 'type');
      return names.length === 0
        ? undefined
        : {
            names,
            choice:
              type === 'none'
                ? 'none'
                : type === 'any'
                  ? 'required'
                  : type === 'tool'
                    ? { name: String(dig(body, 'tool_choice', 'name')) }
                    : 'auto',
          };
    }
    case 'gemini': {
      const names = list(body.tools)
        .flatMap((tool) => list(tool.functionDeclarations))
        .map((declaration) => ({
          name: String(declaration.name),
          parameters:
            asObject(declaration.parametersJsonSchema) ?? asObject(declaration.parameters),
        }));
      const mode = dig(body, 'toolConfig', 'functionCallingConfig', 'mode');
      const allowed = dig(body, 'toolConfig', 'functionCallingConfig', 'allowedFunctionNames');
      return names.length === 0
        ? undefined
        : {
            names,
            choice:
              mode === 'NONE'
                ? 'none'
                : mode === 'ANY'
                  ? Array.isArray(allowed) && allowed.length === 1
                    ? { name: String(allowed[0]) }
                    : 'required'
                  : 'auto',
          };
    }
  }
}

/**
 * The result of a tool call, when the request's last turn carries one (the model is then to answer with it), in
 * each wire format: an OpenAI `tool` message, Anthropic `tool_result` blocks, Gemini `functionResponse` parts.
 */
export function toolResultOf(call: ParsedCall): string | undefined {
  const body = call.body;
  switch (call.provider) {
    case 'openai': {
      const last = list(body.messages).at(-1);
      return last?.role === 'tool' ? textOf(last.content) : undefined;
    }
    case 'anthropic': {
      const last = list(body.messages).at(-1);
      const results = list(last?.content).filter((block) => block.type === 'tool_result');
      return last?.role === 'user' && results.length > 0
        ? results.map((block) => textOf(block.content)).join('\n')
        : undefined;
    }
    case 'gemini': {
      const last = list(body.contents).at(-1);
      const results = list(last?.parts).filter((part) => part.functionResponse !== undefined);
      return results.length > 0
        ? results
            .map((part) => JSON.stringify(dig(part, 'functionResponse', 'response')))
            .join('\n')
        : undefined;
    }
  }
}

let calls = 0;

/**
 * The call a simulated model makes: when the request offers tools, lets the model use them, and does not already
 * carry a tool's result, it calls the tool it must call (or the first one) with arguments sampled from its schema.
 */
export function plannedToolCall(call: ParsedCall): SimulatedToolCall | undefined {
  const offered = offeredTools(call);
  if (!offered || offered.choice === 'none' || toolResultOf(call) !== undefined) return undefined;
  const wanted = typeof offered.choice === 'object' ? offered.choice.name : undefined;
  const tool = offered.names.find((candidate) => candidate.name === wanted) ?? offered.names[0];
  calls += 1;
  return {
    id: `call_sim${String(calls).padStart(6, '0')}`,
    name: tool.name,
    args: tool.parameters ? sampleFromSchema(tool.parameters) : {},
  };
}
