import { FailWithoutRetryError } from '../engine/plugin-api.ts';

/**
 * A CSV file is unusable: the message names the file, and the column and row
 * when there is one. Bad data does not get better by retrying, so a task that
 * meets it fails at once, whichever task it is (check_drift, train_model...).
 */
export class DataValidationError extends FailWithoutRetryError {}
