/** Minimal XML writing helpers: escaping and elements. Every XMLA answer is built from these. */

export function esc(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/** `<name attrs>children</name>`; children are already XML. */
export function el(name: string, children: string | number | boolean = '', attrs: Record<string, string> = {}): string {
  const a = Object.entries(attrs).map(([k, v]) => ` ${k}="${esc(v)}"`).join('');
  const body = typeof children === 'string' ? children : String(children);
  return body === '' ? `<${name}${a}/>` : `<${name}${a}>${body}</${name}>`;
}

/** An element with text content (escaped). */
export function text(name: string, value: string | number | boolean): string {
  return el(name, typeof value === 'string' ? esc(value) : String(value));
}

export const XSD = 'http://www.w3.org/2001/XMLSchema';
export const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
export const XMLA = 'urn:schemas-microsoft-com:xml-analysis';
export const ROWSET = 'urn:schemas-microsoft-com:xml-analysis:rowset';
export const MDDATASET = 'urn:schemas-microsoft-com:xml-analysis:mddataset';
export const EMPTY = 'urn:schemas-microsoft-com:xml-analysis:empty';
