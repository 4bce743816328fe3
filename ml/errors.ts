import { UpdraftError } from '../engine/models/errors.ts';

/** A CSV file is unusable: the message names the file, and the column and row when there is one. */
export class DataValidationError extends UpdraftError {}
