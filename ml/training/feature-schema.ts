import type { CsvTable } from '../data/csv-table.ts';
import { DataValidationError } from '../errors.ts';

/** What a model reads and predicts: pinned in every version record, enforced when the model is retrained. */
export interface FeatureSchema {
  target: string;
  classes: string[];
  features: Array<{ name: string; type: 'number' }>;
}

export const schemaOf = (data: { target: string; classes: readonly string[]; features: readonly string[] }): FeatureSchema => ({
  target: data.target,
  classes: [...data.classes],
  features: data.features.map((name) => ({ name, type: 'number' })),
});

/** One way a data file differs from a schema, named by its column. */
export interface SchemaDifference {
  column: string;
  problem: string;
}

/**
 * How `table` differs from `schema`, in the order a user fixes them: the
 * target, missing feature columns, retyped ones (a cell that is not a
 * number), extra columns, then the target's classes. Empty when it matches.
 */
export function schemaDifferences(table: CsvTable, schema: FeatureSchema): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const features = schema.features.map((f) => f.name);
  if (!table.has(schema.target)) return [{ column: schema.target, problem: `missing target column '${schema.target}'` }];
  for (const name of features) {
    if (!table.has(name)) out.push({ column: name, problem: `missing column '${name}'` });
  }
  for (const name of features.filter((f) => table.has(f))) {
    const cells = table.strings(name);
    const row = cells.findIndex((cell) => cell === '' || !Number.isFinite(Number(cell)));
    // An empty cell is bad data, not a new type: the data checks name it with its row.
    if (row >= 0 && cells[row] !== '')
      out.push({ column: name, problem: `column '${name}' is retyped: row ${row + 2} holds '${cells[row]}', not a number` });
  }
  for (const name of table.columns) {
    if (name !== schema.target && !features.includes(name)) out.push({ column: name, problem: `extra column '${name}'` });
  }
  const classes = [...new Set(table.strings(schema.target))].filter((c) => c !== '').sort();
  if (classes.join('\u0000') !== schema.classes.join('\u0000')) {
    out.push({
      column: schema.target,
      problem: `target column '${schema.target}' has classes ${classes.join(', ')}, not ${schema.classes.join(', ')}`,
    });
  }
  return out;
}

/** `owner`'s schema, in a few words ("champion v1's feature schema: a, b, c → churned (0, 1)"). */
export const describeSchema = (schema: FeatureSchema, owner: string): string =>
  `${owner}'s feature schema: ${schema.features.map((f) => f.name).join(', ')} → ${schema.target} (${schema.classes.join(', ')})`;

/**
 * The first difference as one line naming the file and the column: a model
 * retrained on other columns is another model, which only an explicit
 * `allow_schema_change` may put in its place.
 */
export function assertMatchesSchema(table: CsvTable, schema: FeatureSchema, owner: string): void {
  const [first] = schemaDifferences(table, schema);
  if (first)
    throw new DataValidationError(
      `${table.file}: ${first.problem} (${describeSchema(schema, owner)}); set allow_schema_change to retrain with another schema`,
    );
}
