/** Writes an MDX answer as an XMLA MDDataSet (axes of tuples, cell data) or as a Tabular rowset. */
import { SUPPRESSED_MARK } from '../present/grid.ts';
import type { CellValue } from './cells.ts';
import { FORMAT_STRING, formatValue, type OlapHierarchy } from './catalog.ts';
import type { MemberSource, OlapMember } from './members.ts';
import type { Tuple } from './sets.ts';
import { el, esc, MDDATASET, ROWSET, XSD, XSI } from './xml.ts';

export interface AnswerAxis {
  readonly tuples: readonly Tuple[];
  /** Hierarchies of the axis, in tuple order (also when the axis is empty). */
  readonly hierarchies: readonly OlapHierarchy[];
  readonly properties: readonly string[];
}

export interface Answer {
  readonly cubeName: string;
  readonly lastDataUpdate: string;
  readonly axes: readonly AnswerAxis[];
  /** One member per hierarchy not on an axis. */
  readonly slicer: readonly OlapMember[];
  readonly cellProperties: readonly string[];
  cell(coords: readonly number[]): CellValue | undefined;
}

/** Member properties every tuple member carries, and the optional ones a query may ask for. */
const STANDARD: [string, string, string][] = [
  ['UName', 'MEMBER_UNIQUE_NAME', 'xsd:string'],
  ['Caption', 'MEMBER_CAPTION', 'xsd:string'],
  ['LName', 'LEVEL_UNIQUE_NAME', 'xsd:string'],
  ['LNum', 'LEVEL_NUMBER', 'xsd:int'],
  ['DisplayInfo', 'DISPLAY_INFO', 'xsd:unsignedInt'],
];
const OPTIONAL: Record<string, string> = {
  PARENT_UNIQUE_NAME: 'xsd:string',
  HIERARCHY_UNIQUE_NAME: 'xsd:string',
  MEMBER_TYPE: 'xsd:int',
  MEMBER_NAME: 'xsd:string',
  MEMBER_KEY: 'xsd:string',
  CHILDREN_CARDINALITY: 'xsd:unsignedInt',
  PARENT_LEVEL: 'xsd:unsignedInt',
};
const CELL: Record<string, [string, string]> = {
  VALUE: ['Value', ''],
  FORMATTED_VALUE: ['FmtValue', 'xsd:string'],
  FORMAT_STRING: ['FormatString', 'xsd:string'],
  LANGUAGE: ['Language', 'xsd:unsignedInt'],
};
export const DEFAULT_CELL_PROPERTIES = ['VALUE', 'FORMATTED_VALUE', 'CELL_ORDINAL'];

const axisName = (i: number) => `Axis${i}`;
const extraProps = (props: readonly string[]) => props.filter((p) => p in OPTIONAL);

function hierarchyInfo(h: OlapHierarchy, props: readonly string[]): string {
  const std = STANDARD.map(([tag, name, type]) => el(tag, '', { name: `${h.uniqueName}.[${name}]`, type }));
  const extra = extraProps(props).map((p) => el(p, '', { name: `${h.uniqueName}.[${p}]`, type: OPTIONAL[p] }));
  return el('HierarchyInfo', [...std, ...extra].join(''), { name: h.uniqueName });
}

async function memberXml(m: OlapMember, props: readonly string[], source: MemberSource, displayInfo: number): Promise<string> {
  const parent = m.measure ? undefined : await source.parent(m);
  const values: Record<string, string | number | undefined> = {
    PARENT_UNIQUE_NAME: parent?.uniqueName,
    HIERARCHY_UNIQUE_NAME: m.hierarchy.uniqueName,
    MEMBER_TYPE: m.measure ? 3 : m.depth === 0 ? 2 : 1,
    MEMBER_NAME: m.measure ? m.measure.name : m.depth === 0 ? 'All' : String(m.path[m.path.length - 1]),
    MEMBER_KEY: m.measure ? m.measure.name : m.depth === 0 ? 'All' : String(m.path[m.path.length - 1]),
    CHILDREN_CARDINALITY: displayInfo & 0xffff,
    PARENT_LEVEL: parent?.depth ?? 0,
  };
  const body =
    el('UName', esc(m.uniqueName)) +
    el('Caption', esc(m.caption)) +
    el('LName', esc(m.hierarchy.levels[m.depth].uniqueName)) +
    el('LNum', String(m.depth)) +
    el('DisplayInfo', String(displayInfo)) +
    extraProps(props)
      .map((p) => (values[p] === undefined ? '' : el(p, esc(String(values[p])))))
      .join('');
  return el('Member', body, { Hierarchy: m.hierarchy.uniqueName });
}

/** DISPLAY_INFO: children count (low 16 bits), 0x10000 when the next tuple shows a child of it, 0x20000 when it has the previous member's parent. */
async function displayInfo(tuples: readonly Tuple[], t: number, k: number, source: MemberSource): Promise<number> {
  const m = tuples[t][k];
  if (m.measure) return 0;
  let info = Math.min(await source.childCount(m), 0xffff);
  const next = tuples[t + 1]?.[k];
  if (next && next.depth === m.depth + 1 && m.path.every((x, i) => String(x) === String(next.path[i]))) info |= 0x10000;
  const prev = tuples[t - 1]?.[k];
  if (prev && prev.depth === m.depth && prev.path.slice(0, -1).join('\u0000') === m.path.slice(0, -1).join('\u0000')) info |= 0x20000;
  return info;
}

export async function writeMdDataSet(a: Answer, source: MemberSource): Promise<string> {
  const props = a.cellProperties.length ? a.cellProperties : DEFAULT_CELL_PROPERTIES;
  const axesInfo =
    a.axes.map((ax, i) => el('AxisInfo', ax.hierarchies.map((h) => hierarchyInfo(h, ax.properties)).join(''), { name: axisName(i) })).join('') +
    el('AxisInfo', a.slicer.map((m) => hierarchyInfo(m.hierarchy, [])).join(''), { name: 'SlicerAxis' });
  const cellInfo = props
    .filter((p) => p in CELL)
    .map((p) => el(CELL[p][0], '', { name: p, ...(CELL[p][1] ? { type: CELL[p][1] } : {}) }))
    .join('');
  const olapInfo = el(
    'OlapInfo',
    el('CubeInfo', el('Cube', el('CubeName', esc(a.cubeName)) + (a.lastDataUpdate ? el('LastDataUpdate', esc(a.lastDataUpdate), { xmlns: 'http://schemas.microsoft.com/analysisservices/2003/engine' }) : ''))) +
      el('AxesInfo', axesInfo) +
      el('CellInfo', cellInfo),
  );

  const axes: string[] = [];
  for (const [i, ax] of a.axes.entries()) {
    const tuples: string[] = [];
    for (let t = 0; t < ax.tuples.length; t++) {
      const members: string[] = [];
      for (let k = 0; k < ax.tuples[t].length; k++) members.push(await memberXml(ax.tuples[t][k], ax.properties, source, await displayInfo(ax.tuples, t, k, source)));
      tuples.push(el('Tuple', members.join('')));
    }
    axes.push(el('Axis', el('Tuples', tuples.join('')), { name: axisName(i) }));
  }
  const slicerMembers: string[] = [];
  for (const m of a.slicer) slicerMembers.push(await memberXml(m, [], source, 0));
  axes.push(el('Axis', el('Tuples', el('Tuple', slicerMembers.join(''))), { name: 'SlicerAxis' }));

  const cells: string[] = [];
  forEachCell(a, (coords, ordinal) => {
    const c = a.cell(coords);
    if (!c) return;
    const parts: string[] = [];
    for (const p of props) {
      if (p === 'VALUE' && c.value !== null) parts.push(el('Value', String(c.value), { 'xsi:type': 'xsd:double' }));
      if (p === 'FORMATTED_VALUE') parts.push(el('FmtValue', esc(c.value === null ? SUPPRESSED_MARK : formatValue(c.measure.format, c.value))));
      if (p === 'FORMAT_STRING') parts.push(el('FormatString', esc(FORMAT_STRING[c.measure.format])));
      if (p === 'LANGUAGE') parts.push(el('Language', '1040'));
    }
    cells.push(el('Cell', parts.join(''), { CellOrdinal: String(ordinal) }));
  });

  return el('root', olapInfo + el('Axes', axes.join('')) + el('CellData', cells.join('')), { xmlns: MDDATASET, 'xmlns:xsi': XSI, 'xmlns:xsd': XSD });
}

/** Visits every cell in ordinal order (axis 0 varies fastest). */
export function forEachCell(a: Pick<Answer, 'axes'>, visit: (coords: number[], ordinal: number) => void): void {
  const sizes = a.axes.map((ax) => ax.tuples.length);
  const total = sizes.reduce((n, s) => n * s, 1);
  const coords = sizes.map(() => 0);
  for (let ordinal = 0; ordinal < total; ordinal++) {
    visit(coords, ordinal);
    for (let k = 0; k < coords.length; k++) {
      if (++coords[k] < sizes[k]) break;
      coords[k] = 0;
    }
  }
}

/** Format=Tabular: one row per tuple of the last axes, one column per member of their hierarchies and per tuple of axis 0. */
export function writeTabular(a: Answer): string {
  const colAxis = a.axes[0];
  const rowAxes = a.axes.slice(1);
  const colNames = (colAxis?.tuples ?? []).map((t) => t.map((m) => m.uniqueName).join(''));
  const rowHier = rowAxes.flatMap((ax) => ax.hierarchies);
  const columns = [...rowHier.map((h) => `${h.uniqueName}.[MEMBER_CAPTION]`), ...colNames];
  const safe = (_: string, i: number) => `C${i}`;
  const schema = el(
    'xsd:schema',
    el('xsd:element', el('xsd:complexType', el('xsd:sequence', el('xsd:element', '', { name: 'row', type: 'row' }), { minOccurs: '0', maxOccurs: 'unbounded' })), { name: 'root' }) +
      el('xsd:complexType', el('xsd:sequence', columns.map((c, i) => el('xsd:element', '', { 'sql:field': c, name: safe(c, i), type: i < rowHier.length ? 'xsd:string' : 'xsd:double', minOccurs: '0' })).join('')), { name: 'row' }),
    { targetNamespace: ROWSET, 'xmlns:sql': 'urn:schemas-microsoft-com:xml-sql', elementFormDefault: 'qualified' },
  );
  const rowTuples: Tuple[][] = rowAxes.reduce<Tuple[][]>((acc, ax) => acc.flatMap((prefix) => ax.tuples.map((t) => [...prefix, t])), [[]]);
  const rows = rowTuples.map((parts) => {
    const members = parts.flat();
    const cells = (colAxis?.tuples ?? [[]]).map((_, c) => {
      const coords = [c, ...parts.map((t, k) => rowAxes[k].tuples.indexOf(t))];
      const v = a.cell(coords);
      return v && v.value !== null ? String(v.value) : '';
    });
    return el('row', [...members.map((m) => esc(m.caption)), ...cells].map((v, i) => (v === '' ? '' : el(safe('', i), v))).join(''));
  });
  return el('root', schema + rows.join(''), { xmlns: ROWSET, 'xmlns:xsd': XSD, 'xmlns:xsi': XSI });
}
