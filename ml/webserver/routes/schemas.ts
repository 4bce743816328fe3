import { MODEL_NAME } from '../../registry/model-registry.ts';

/** JSON-schema fragments of the ML routes (the engine's are in engine/webserver/routes/schemas.ts). */

/** The rule the model registry applies to a model name, as a JSON-schema pattern. */
export const MODEL_NAME_PATTERN = MODEL_NAME.source;

export const modelParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: MODEL_NAME_PATTERN } },
} as const;
export const versionParams = {
  type: 'object',
  required: ['name', 'version'],
  properties: { name: { type: 'string', pattern: MODEL_NAME_PATTERN }, version: { type: 'integer', minimum: 1 } },
} as const;

export interface ModelParams {
  name: string;
}
export interface VersionParams extends ModelParams {
  version: number;
}
