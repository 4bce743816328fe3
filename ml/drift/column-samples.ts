/** One column of the reference and current data: numbers when every reference cell is a number, otherwise text. */
export type ColumnSamples =
  | { numeric: true; reference: Float64Array; current: Float64Array }
  | { numeric: false; reference: string[]; current: string[] };

/** Category labels of a column; numbers in canonical form, so '1', '1.0' and '1e0' are one category. */
export function labels(data: ColumnSamples): { reference: string[]; current: string[] } {
  if (!data.numeric) return data;
  return { reference: Array.from(data.reference, String), current: Array.from(data.current, String) };
}

/** Distinct values of the samples together; counting stops once above `limit` (so a continuous column stops at once). */
export function distinctUpTo(limit: number, ...samples: Array<Float64Array | readonly string[]>): number {
  const seen = new Set<number | string>();
  for (const sample of samples) {
    for (const v of sample) {
      seen.add(v);
      if (seen.size > limit) return seen.size;
    }
  }
  return seen.size;
}

export interface CategoryCounts {
  categories: string[];
  reference: number[];
  current: number[];
}

/** Counts per category over the categories of both samples; numeric labels in numeric order, text in code-unit order. */
export function categoryCounts(reference: readonly string[], current: readonly string[], numeric: boolean): CategoryCounts {
  const counts = new Map<string, [number, number]>();
  for (const v of reference) (counts.get(v) ?? counts.set(v, [0, 0]).get(v)!)[0]++;
  for (const v of current) (counts.get(v) ?? counts.set(v, [0, 0]).get(v)!)[1]++;
  const categories = [...counts.keys()].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  return { categories, reference: categories.map((c) => counts.get(c)![0]), current: categories.map((c) => counts.get(c)![1]) };
}
