/** Tiny helpers for server-rendered SVG: escaped text and attributes, rounded coordinates, compact numbers. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or an attribute value made safe to embed (column names and categories come from user data). */
export const escapeXml = (value: string): string => value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

export type Attributes = Record<string, string | number | undefined>;

/** `<tag a="1">children</tag>`; attribute values are escaped, numbers rounded to 0.01. */
export function el(tag: string, attributes: Attributes, ...children: string[]): string {
  const attrs = Object.entries(attributes)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === 'number' ? String(round(v)) : v!)}"`)
    .join('');
  return children.length === 0 ? `<${tag}${attrs}/>` : `<${tag}${attrs}>${children.join('')}</${tag}>`;
}

/** A text element; its content escaped. */
export const text = (attributes: Attributes, content: string): string => el('text', attributes, escapeXml(content));

export const round = (n: number): number => Math.round(n * 100) / 100;

/** 1234.5 → "1.2k", 0.000123 → "1.2e-4", 12.345 → "12.3": short enough for an axis tick. */
export function compactNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 0.01 || abs >= 1e6)) return n.toExponential(1);
  if (abs >= 1000) return `${(n / 1000).toFixed(abs >= 10_000 ? 0 : 1)}k`;
  return String(Number(n.toPrecision(3)));
}

export const percent = (share: number): string => `${Number((100 * share).toPrecision(3))}%`;

/** The root element, with a title for screen readers and a viewBox so it scales to its container. */
export function svgRoot(width: number, height: number, title: string, attributes: Attributes, ...children: string[]): string {
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': title,
      ...attributes,
    },
    el('title', {}, escapeXml(title)),
    ...children,
  );
}

/** Series colours, shared by both charts so reference / current read the same everywhere. */
export const COLORS = { reference: '#0969da', current: '#d1242f', production: '#dafbe1', axis: '#57606a', grid: '#d0d7de' } as const;

/** A tooltip (`<title>`), its text escaped. */
export const tooltip = (content: string): string => el('title', {}, escapeXml(content));
