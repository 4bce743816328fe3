import { UpdraftError } from '../models/errors.ts';

/** Redis cannot be used: nothing answers at its address, or it refused the password (the message says which, with no secret in it). */
export class RedisConnectionError extends UpdraftError {}
