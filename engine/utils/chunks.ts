/** Splits `items` into arrays of at most `size`: bulk SQL stays under SQLite's bound-variable limit. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
