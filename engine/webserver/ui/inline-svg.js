// Server-rendered SVG (engine/webserver/svg) into the page: parsed as XML, never as HTML, so nothing in it runs.

/** The SVG text as an element of this document; a parse error becomes a visible note. */
export function inlineSvg(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.nodeName !== 'svg') {
    const note = document.createElement('p');
    note.className = 'error';
    note.textContent = 'chart could not be drawn';
    return note;
  }
  return document.importNode(root, true);
}
