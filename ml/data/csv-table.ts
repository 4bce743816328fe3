import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { DataValidationError } from '../errors.ts';

/** A CSV file read into columns of strings, with typed accessors that validate. */
export class CsvTable {
  private constructor(
    readonly file: string,
    readonly columns: readonly string[],
    private readonly cells: readonly string[][],
  ) {}

  /** Reads a CSV file with a header row; every row must have one cell per header. */
  static read(file: string): CsvTable {
    if (!existsSync(file)) throw new DataValidationError(`${file}: no such file`);
    return CsvTable.parse(readFileSync(file, 'utf8'), file);
  }

  /** Parses CSV text with a header row; `file` names it in errors (a path or an artifact URI). */
  static parse(text: string, file: string): CsvTable {
    if (text.trim() === '') throw new DataValidationError(`${file}: file is empty`);
    let records: string[][];
    try {
      records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
    } catch (error) {
      throw new DataValidationError(`${file}: not a valid CSV file: ${(error as Error).message}`);
    }
    const [header, ...rows] = records;
    if (!header || header.length === 0) throw new DataValidationError(`${file}: no header row`);
    const blank = header.indexOf('');
    if (blank >= 0) throw new DataValidationError(`${file}: column ${blank + 1} has an empty name`);
    const dupe = header.find((h, i) => header.indexOf(h) !== i);
    if (dupe !== undefined) throw new DataValidationError(`${file}: column '${dupe}' appears twice`);
    if (rows.length === 0) throw new DataValidationError(`${file}: has a header but no data rows`);
    return new CsvTable(file, header, rows);
  }

  get rowCount(): number {
    return this.cells.length;
  }

  has(column: string): boolean {
    return this.columns.includes(column);
  }

  private index(column: string): number {
    const i = this.columns.indexOf(column);
    if (i < 0) throw new DataValidationError(`${this.file}: missing column '${column}' (columns: ${this.columns.join(', ')})`);
    return i;
  }

  strings(column: string): string[] {
    const i = this.index(column);
    return this.cells.map((row) => row[i]!);
  }

  /** True when every cell of the column is a finite number. */
  isNumeric(column: string): boolean {
    const i = this.index(column);
    return this.cells.every((row) => row[i] !== '' && Number.isFinite(Number(row[i])));
  }

  /** The column as numbers; an empty, NaN, infinite or non-numeric cell is an error naming file, column and row. */
  numbers(column: string): Float64Array {
    const i = this.index(column);
    const out = new Float64Array(this.cells.length);
    this.cells.forEach((row, r) => {
      const cell = row[i]!;
      const value = Number(cell);
      if (cell === '' || !Number.isFinite(value)) {
        throw new DataValidationError(
          `${this.file}: column '${column}' row ${r + 2}: ${cell === '' ? 'empty cell' : `'${cell}' is not a finite number`}`,
        );
      }
      out[r] = value;
    });
    return out;
  }
}
