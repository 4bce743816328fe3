import { UpdraftError } from '../models/errors.ts';

/** The file that defines (or names) a DAG failed to import: the command shows that file's error, not "not found". */
export class DagImportError extends UpdraftError {}
