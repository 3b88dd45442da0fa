/** XMLA requests in the shape Excel and olap4j send them, and a DOM reader for the answers (xmldom). */
import { DOMParser } from '@xmldom/xmldom';

const NS = 'urn:schemas-microsoft-com:xml-analysis';
const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function envelope(body: string, header = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

export function discoverBody(requestType: string, restrictions: Record<string, string> = {}, properties: Record<string, string> = {}): string {
  const r = Object.entries(restrictions).map(([k, v]) => `<${k}>${xmlText(v)}</${k}>`).join('');
  const p = Object.entries(properties).map(([k, v]) => `<${k}>${xmlText(v)}</${k}>`).join('');
  return `<Discover xmlns="${NS}"><RequestType>${requestType}</RequestType><Restrictions><RestrictionList>${r}</RestrictionList></Restrictions><Properties><PropertyList>${p}</PropertyList></Properties></Discover>`;
}

export function executeBody(statement: string, properties: Record<string, string> = {}): string {
  const p = Object.entries(properties).map(([k, v]) => `<${k}>${xmlText(v)}</${k}>`).join('');
  return `<Execute xmlns="${NS}"><Command><Statement>${xmlText(statement)}</Statement></Command><Properties><PropertyList>${p}</PropertyList></Properties></Execute>`;
}

export function parseXml(text: string): Document {
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: (level: string, msg: unknown) => void (level !== 'warning' && errors.push(String(msg))) }).parseFromString(text, 'text/xml');
  if (errors.length) throw new Error(`invalid XML: ${errors[0]}`);
  return doc as unknown as Document;
}

export const childElements = (e: Element): Element[] => {
  const out: Element[] = [];
  for (let n = e.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
};
export const byLocal = (e: Element | Document, local: string): Element[] => Array.from(e.getElementsByTagNameNS('*', local));
export const childText = (e: Element, local: string): string | undefined => childElements(e).find((c) => c.localName === local)?.textContent ?? undefined;

/** Rows of a rowset answer, as column -> text; plus the columns its inline schema declares (name -> required). */
export function rowset(doc: Document): { rows: Record<string, string>[]; schema: Map<string, boolean> } {
  const rowType = byLocal(doc, 'complexType').find((c) => c.getAttribute('name') === 'row');
  const schema = new Map<string, boolean>((rowType ? byLocal(rowType, 'element') : []).map((e) => [e.getAttribute('name')!, e.getAttribute('minOccurs') !== '0']));
  const root = byLocal(doc, 'root')[0];
  const rows = childElements(root)
    .filter((e) => e.localName === 'row')
    .map((r) => Object.fromEntries(childElements(r).map((c) => [c.localName!, c.textContent ?? ''])));
  return { rows, schema };
}

export interface MdCell {
  ordinal: number;
  value?: number;
  formatted?: string;
  formatString?: string;
}

/** An MDDataSet: axes as lists of tuples of member unique names, cells by ordinal. */
export function mddataset(doc: Document): { axes: string[][][]; slicer: string[]; cells: Map<number, MdCell> } {
  const axes: string[][][] = [];
  let slicer: string[] = [];
  for (const axis of byLocal(byLocal(doc, 'Axes')[0], 'Axis')) {
    const tuples = byLocal(axis, 'Tuple').map((t) => byLocal(t, 'Member').map((m) => childText(m, 'UName')!));
    if (axis.getAttribute('name') === 'SlicerAxis') slicer = tuples[0] ?? [];
    else axes.push(tuples);
  }
  const cells = new Map<number, MdCell>();
  for (const c of byLocal(doc, 'Cell')) {
    const ordinal = Number(c.getAttribute('CellOrdinal'));
    const v = childText(c, 'Value');
    cells.set(ordinal, { ordinal, value: v === undefined ? undefined : Number(v), formatted: childText(c, 'FmtValue'), formatString: childText(c, 'FormatString') });
  }
  return { axes, slicer, cells };
}

/** The model coordinates of a tuple of member unique names: level dimension -> key, and the measure if any. */
export function coordinates(unames: readonly string[], levels: ReadonlyMap<string, readonly string[]>): { dims: Record<string, string>; measure?: string } {
  const dims: Record<string, string> = {};
  let measure: string | undefined;
  for (const u of unames) {
    const h = /^\[([^\]]+)\]/.exec(u)![1];
    if (h === 'Measures') {
      measure = /^\[Measures\]\.\[([^\]]+)\]$/.exec(u)![1];
      continue;
    }
    const keys = [...u.matchAll(/&\[([^\]]*)\]/g)].map((m) => m[1]);
    keys.forEach((k, i) => (dims[levels.get(h)![i]] = k));
  }
  return { dims, measure };
}

type RestRow = Record<string, unknown> & { rollup?: string[]; suppressed?: string };

/** REST rows indexed by the dimensions they group by (rolled-up ones left out) and their keys. */
export function restIndex(results: readonly { dims: readonly string[]; rows: readonly RestRow[] }[]): Map<string, RestRow> {
  const index = new Map<string, RestRow>();
  for (const r of results)
    for (const row of r.rows) {
      const key = cellKey(Object.fromEntries(r.dims.filter((d) => !row.rollup?.includes(d)).map((d) => [d, String(row[d])])));
      if (!index.has(key)) index.set(key, row);
    }
  return index;
}

export const cellKey = (dims: Record<string, string>) => JSON.stringify(Object.entries(dims).sort(([a], [b]) => (a < b ? -1 : 1)));
