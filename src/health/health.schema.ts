import { JsonSchema } from '../common/json-schema';

/** API-docs schema of terminus' health answers. */
export const healthSchema: JsonSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'error'] },
    info: { type: 'object' },
    error: { type: 'object' },
    details: { type: 'object' },
  },
};
