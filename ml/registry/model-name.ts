import { InvalidInputError } from '../../engine/plugin-api.ts';

export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** Model names become directory names: letters, digits, `_ . -`, no path separators, no `..`. */
export function assertModelName(name: string): void {
  if (!MODEL_NAME.test(name) || name.includes('..')) {
    throw new InvalidInputError(`bad model name '${name}': use 1-100 letters, digits, '_', '.', '-' (no '/', no '..')`);
  }
}
