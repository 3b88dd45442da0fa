/** Discover: the schema rowsets, built from the YAML model and the principal's scoped members. */
import type { Principal } from '../security/principal.ts';
import type { QueryContext } from '../query/execute.ts';
import { CATALOG, displayFolder, FORMAT_STRING, MEASURES, visibleCubes, type OlapCube, type OlapHierarchy } from './catalog.ts';
import { MemberSource, measureMembers, measuresHierarchy, type OlapMember } from './members.ts';
import { restrict, ROWSETS, writeRowset, type Row, type RowsetDef } from './rowsets.ts';
import { parseMdx } from './mdx/parser.ts';
import { SetEvaluator } from './sets.ts';
import { XmlaError } from './soap.ts';
import { el } from './xml.ts';

export interface DiscoverContext {
  ctx: QueryContext;
  principal: Principal;
  /** Address of the endpoint, for DISCOVER_DATASOURCES. */
  url: string;
}

type Producer = (d: DiscoverContext, r: Record<string, string[]>) => Promise<Row[]> | Row[];

const TIME_DIMS = new Set(['anno', 'trimestre']);
const dimensionType = (h: OlapHierarchy) => (h.levels.slice(1).some((l) => TIME_DIMS.has(l.dimension!.name)) ? 1 : 3);
const levelType = (h: OlapHierarchy, depth: number) => (depth === 0 ? 1 : ({ anno: 20, trimestre: 68 } as Record<string, number>)[h.levels[depth].dimension!.name] ?? 0);

const cubesFor = (d: DiscoverContext, r: Record<string, string[]>) => {
  const names = r.CUBE_NAME?.map((n) => n.toLowerCase());
  return visibleCubes(d.ctx.model, d.principal).filter((c) => !names?.length || names.includes(c.name.toLowerCase()));
};
const cubeKey = (c: OlapCube) => ({ CATALOG_NAME: CATALOG, SCHEMA_NAME: CATALOG, CUBE_NAME: c.name });
/** The hierarchies of a cube with Measures first, as clients expect. */
const withMeasures = (c: OlapCube) => [measuresHierarchy(c), ...c.hierarchies];

/** DISCOVER_PROPERTIES: name, type, access, value, description. */
export const PROPERTIES: readonly (readonly [string, string, string, string, string])[] = [
  ['DataSourceInfo', 'string', 'ReadWrite', 'PAS', 'Origine dati'],
  ['Catalog', 'string', 'ReadWrite', CATALOG, 'Catalogo'],
  ['Format', 'string', 'Write', 'Native', 'Formato della risposta (Tabular o Multidimensional)'],
  ['AxisFormat', 'string', 'Write', 'TupleFormat', 'Formato degli assi'],
  ['Content', 'string', 'Write', 'SchemaData', 'Schema, dati o entrambi'],
  ['LocaleIdentifier', 'int', 'ReadWrite', '1040', 'Lingua (1040 = italiano)'],
  ['ProviderVersion', 'string', 'Read', '0.1.0', 'Versione'],
  ['DBMSVersion', 'string', 'Read', '10.50.1600.1', 'Versione dichiarata ai client'],
  ['MdpropMdxSubqueries', 'int', 'Read', '15', 'Sotto-select supportate'],
  ['MdpropMdxDrillFunctions', 'int', 'Read', '3', 'Funzioni di drill supportate'],
  ['MdpropMdxNamedSets', 'int', 'Read', '15', 'Set denominati nella query'],
  ['StateSupport', 'string', 'Read', 'Sessions', 'Sessioni'],
  ['Timeout', 'unsignedInt', 'ReadWrite', '0', 'Timeout'],
  ['VisualMode', 'int', 'ReadWrite', '0', 'Totali visivi'],
];

/** DISCOVER_LITERALS: names are plain words (no dot, not starting with a digit); brackets quote them. */
const name = (LiteralName: string, LiteralNameEnumValue: number, LiteralInvalidChars = '.'): Row => ({ LiteralName, LiteralValue: '', LiteralInvalidChars, LiteralInvalidStartingChars: '0123456789', LiteralMaxLength: -1, LiteralNameEnumValue });
const LITERALS: Row[] = [
  ...(
    [
      ['CATALOG_NAME', 2], ['CUBE_NAME', 21], ['DIMENSION_NAME', 22], ['HIERARCHY_NAME', 23], ['LEVEL_NAME', 24], ['MEMBER_NAME', 25], ['PROPERTY_NAME', 26], ['COLUMN_NAME', 6],
    ] as const
  ).map(([n, v]) => name(`DBLITERAL_${n}`, v)),
  name('DBLITERAL_COLUMN_ALIAS', 5, '\'"[]'),
  name('DBLITERAL_CORRELATION_NAME', 7, '\'"[]'),
  { LiteralName: 'DBLITERAL_CATALOG_SEPARATOR', LiteralValue: '.', LiteralMaxLength: 0, LiteralNameEnumValue: 3 },
  { LiteralName: 'DBLITERAL_QUOTE_PREFIX', LiteralValue: '[', LiteralMaxLength: -1, LiteralNameEnumValue: 15 },
  { LiteralName: 'DBLITERAL_QUOTE_SUFFIX', LiteralValue: ']', LiteralMaxLength: -1, LiteralNameEnumValue: 28 },
];

/** MEMBER_TYPE: 1 regular, 2 all, 3 measure. */
const memberType = (m: OlapMember) => (m.measure ? 3 : m.depth === 0 ? 2 : 1);

async function memberRows(d: DiscoverContext, r: Record<string, string[]>): Promise<Row[]> {
  const rows: Row[] = [];
  const treeOp = Number(r.TREE_OP?.[0] ?? 0);
  const uname = r.MEMBER_UNIQUE_NAME?.[0];
  for (const cube of cubesFor(d, r)) {
    const source = new MemberSource(d.ctx, cube, d.principal);
    const push = async (m: OlapMember) => {
      const h = m.hierarchy;
      const parent = m.measure ? undefined : await source.parent(m);
      rows.push({
        ...cubeKey(cube),
        DIMENSION_UNIQUE_NAME: `[${h.name === MEASURES ? MEASURES : h.name}]`,
        HIERARCHY_UNIQUE_NAME: h.uniqueName,
        LEVEL_UNIQUE_NAME: h.levels[m.depth].uniqueName,
        LEVEL_NUMBER: m.depth,
        MEMBER_ORDINAL: 0,
        MEMBER_NAME: m.measure ? m.measure.name : m.depth === 0 ? 'All' : String(m.path[m.path.length - 1]),
        MEMBER_UNIQUE_NAME: m.uniqueName,
        MEMBER_TYPE: memberType(m),
        MEMBER_CAPTION: m.caption,
        CHILDREN_CARDINALITY: m.measure ? 0 : await source.childCount(m),
        PARENT_LEVEL: parent ? parent.depth : 0,
        PARENT_UNIQUE_NAME: parent?.uniqueName,
        PARENT_COUNT: parent ? 1 : 0,
        DESCRIPTION: m.measure?.definition,
        MEMBER_KEY: m.measure ? m.measure.name : m.depth === 0 ? 'All' : String(m.path[m.path.length - 1]),
        IS_PLACEHOLDERMEMBER: false,
        IS_DATAMEMBER: false,
      });
    };
    const hierarchies = withMeasures(cube).filter(
      (h) =>
        (!r.HIERARCHY_UNIQUE_NAME?.length || r.HIERARCHY_UNIQUE_NAME.some((n) => n.toLowerCase() === h.uniqueName.toLowerCase())) &&
        (!r.DIMENSION_UNIQUE_NAME?.length || r.DIMENSION_UNIQUE_NAME.some((n) => n.toLowerCase() === `[${h.name}]`.toLowerCase())) &&
        (!r.LEVEL_UNIQUE_NAME?.length || h.levels.some((l) => r.LEVEL_UNIQUE_NAME.some((n) => n.toLowerCase() === l.uniqueName.toLowerCase()))),
    );
    for (const h of hierarchies) {
      const isMeasures = h.name === MEASURES;
      let members: OlapMember[];
      if (isMeasures) members = measureMembers(cube).filter((m) => !uname || m.uniqueName.toLowerCase() === uname.toLowerCase());
      else if (uname) {
        const found = await findMember(new SetEvaluator(source), h, uname);
        if (!found) continue;
        // TREE_OP: 1 children, 2 siblings, 4 parent, 8 self, 16 descendants, 32 ancestors.
        members = [];
        const op = treeOp || 8;
        if (op & 32) {
          const chain: OlapMember[] = [];
          for (let p = await source.parent(found); p; p = await source.parent(p)) chain.unshift(p);
          members.push(...chain);
        }
        if (op & 4) {
          const p = await source.parent(found);
          if (p) members.push(p);
        }
        if (op & 2) {
          const p = await source.parent(found);
          members.push(...(p ? (await source.children(p)).filter((c) => c.uniqueName !== found.uniqueName) : []));
        }
        if (op & 8) members.push(found);
        if (op & 1) members.push(...(await source.children(found)));
        if (op & 16) members.push(...(await source.hierarchyMembers(h)).filter((x) => x.depth > found.depth && found.path.every((k, i) => String(k) === String(x.path[i]))));
      } else if (r.LEVEL_UNIQUE_NAME?.length || r.LEVEL_NUMBER?.length) {
        const levels = h.levels.filter(
          (l) => (!r.LEVEL_UNIQUE_NAME?.length || r.LEVEL_UNIQUE_NAME.some((n) => n.toLowerCase() === l.uniqueName.toLowerCase())) && (!r.LEVEL_NUMBER?.length || r.LEVEL_NUMBER.includes(String(l.depth))),
        );
        members = (await Promise.all(levels.map((l) => source.levelMembers(l, h)))).flat();
      } else members = await source.hierarchyMembers(h);
      for (const m of members) await push(m);
    }
  }
  return restrict(ROWSETS.get('MDSCHEMA_MEMBERS')!, rows, r, ['MEMBER_UNIQUE_NAME', 'LEVEL_UNIQUE_NAME', 'LEVEL_NUMBER', 'HIERARCHY_UNIQUE_NAME', 'DIMENSION_UNIQUE_NAME']);
}

async function findMember(evaluator: SetEvaluator, h: OlapHierarchy, uname: string): Promise<OlapMember | undefined> {
  try {
    const st = parseMdx(`SELECT {${uname}} ON 0 FROM [x]`);
    if (st.kind !== 'select') return undefined;
    const [t] = await evaluator.set(st.axes[0].set);
    const m = t?.[0];
    return m && m.hierarchy.uniqueName === h.uniqueName ? m : undefined;
  } catch {
    return undefined;
  }
}

const PRODUCERS: Record<string, Producer> = {
  DISCOVER_DATASOURCES: (d) => [
    { DataSourceName: 'PAS', DataSourceDescription: 'PAS cubi — analisi sociale', URL: d.url, DataSourceInfo: 'PAS', ProviderName: 'PAS cubi XMLA', ProviderType: 'MDP', AuthenticationMode: 'Authenticated' },
  ],
  DISCOVER_PROPERTIES: () => PROPERTIES.map(([PropertyName, PropertyType, PropertyAccessType, Value, PropertyDescription]) => ({ PropertyName, PropertyDescription, PropertyType, PropertyAccessType, IsRequired: false, Value })),
  DISCOVER_SCHEMA_ROWSETS: () =>
    [...ROWSETS.values()].map((def: RowsetDef) => ({
      SchemaName: def.name,
      Restrictions: { xml: def.restrictions.map((name) => el('Restrictions', el('Name', name) + el('Type', 'xsd:string'))).join('') },
      Description: def.description,
      RestrictionsMask: 2 ** def.restrictions.length - 1,
    })),
  DISCOVER_LITERALS: () => LITERALS,
  DISCOVER_ENUMERATORS: () => [],
  DISCOVER_KEYWORDS: () => ['SELECT', 'FROM', 'WHERE', 'ON', 'COLUMNS', 'ROWS', 'NON', 'EMPTY', 'WITH', 'SET', 'MEMBER', 'AS', 'DIMENSION', 'PROPERTIES', 'CELL'].map((k) => ({ Keyword: k })),
  DBSCHEMA_CATALOGS: () => [{ CATALOG_NAME: CATALOG, DESCRIPTION: 'Cubi del Portale per l’Analisi Sociale', ROLES: '' }],
  DBSCHEMA_SCHEMATA: () => [{ CATALOG_NAME: CATALOG, SCHEMA_NAME: CATALOG, SCHEMA_OWNER: '' }],
  MDSCHEMA_CUBES: async (d, r) => {
    const status = await d.ctx.dataStatus();
    return cubesFor(d, r).map((c) => ({
      ...cubeKey(c),
      CUBE_TYPE: 'CUBE',
      LAST_DATA_UPDATE: status.sources[c.cube.source],
      DESCRIPTION: c.description,
      IS_DRILLTHROUGH_ENABLED: false,
      IS_LINKABLE: false,
      IS_WRITE_ENABLED: false,
      IS_SQL_ENABLED: false,
      CUBE_CAPTION: c.caption,
      CUBE_SOURCE: 1,
    }));
  },
  MDSCHEMA_DIMENSIONS: (d, r) =>
    cubesFor(d, r).flatMap((c) =>
      withMeasures(c).map((h, i) => ({
        ...cubeKey(c),
        DIMENSION_NAME: h.name,
        DIMENSION_UNIQUE_NAME: `[${h.name}]`,
        DIMENSION_CAPTION: h.caption,
        DIMENSION_ORDINAL: i,
        DIMENSION_TYPE: h.name === MEASURES ? 2 : dimensionType(h),
        DEFAULT_HIERARCHY: h.name === MEASURES ? '[Measures]' : h.uniqueName,
        DESCRIPTION: h.description,
        IS_VIRTUAL: false,
        IS_READWRITE: false,
        DIMENSION_UNIQUE_SETTINGS: 1,
        DIMENSION_IS_VISIBLE: true,
      })),
    ),
  MDSCHEMA_HIERARCHIES: (d, r) =>
    cubesFor(d, r).flatMap((c) =>
      withMeasures(c).map((h, i) => ({
        ...cubeKey(c),
        DIMENSION_UNIQUE_NAME: `[${h.name}]`,
        HIERARCHY_NAME: h.name,
        HIERARCHY_UNIQUE_NAME: h.uniqueName,
        HIERARCHY_CAPTION: h.caption,
        DIMENSION_TYPE: h.name === MEASURES ? 2 : dimensionType(h),
        DEFAULT_MEMBER: h.allUniqueName,
        ALL_MEMBER: h.name === MEASURES ? undefined : h.allUniqueName,
        DESCRIPTION: h.description,
        STRUCTURE: 0,
        IS_VIRTUAL: false,
        IS_READWRITE: false,
        DIMENSION_UNIQUE_SETTINGS: 1,
        DIMENSION_IS_VISIBLE: true,
        HIERARCHY_ORDINAL: i,
        DIMENSION_IS_SHARED: true,
        HIERARCHY_IS_VISIBLE: true,
        HIERARCHY_ORIGIN: h.levels.length > 2 ? 1 : 2,
        HIERARCHY_DISPLAY_FOLDER: '',
        INSTANCE_SELECTION: 0,
        GROUPING_BEHAVIOR: 1,
        STRUCTURE_TYPE: 'Natural',
      })),
    ),
  MDSCHEMA_LEVELS: (d, r) =>
    cubesFor(d, r).flatMap((c) =>
      withMeasures(c).flatMap((h) =>
        h.levels.map((l) => ({
          ...cubeKey(c),
          DIMENSION_UNIQUE_NAME: `[${h.name}]`,
          HIERARCHY_UNIQUE_NAME: h.uniqueName,
          LEVEL_NAME: l.name,
          LEVEL_UNIQUE_NAME: l.uniqueName,
          LEVEL_CAPTION: l.caption,
          LEVEL_NUMBER: l.depth,
          LEVEL_CARDINALITY: 0,
          LEVEL_TYPE: h.name === MEASURES ? 0 : levelType(h, l.depth),
          DESCRIPTION: l.dimension?.description,
          CUSTOM_ROLLUP_SETTINGS: 0,
          LEVEL_UNIQUE_SETTINGS: 0,
          LEVEL_IS_VISIBLE: true,
          LEVEL_DBTYPE: l.dimension?.type === 'integer' ? 3 : 130,
          LEVEL_KEY_CARDINALITY: 1,
          LEVEL_ORIGIN: 1,
        })),
      ),
    ),
  MDSCHEMA_MEASURES: (d, r) =>
    cubesFor(d, r).flatMap((c) =>
      measureMembers(c).map((m) => {
        const x = m.measure!;
        return {
          ...cubeKey(c),
          MEASURE_NAME: x.name,
          MEASURE_UNIQUE_NAME: m.uniqueName,
          MEASURE_CAPTION: x.label.it,
          MEASURE_AGGREGATOR: x.kind === 'sum' ? 1 : x.kind === 'count' ? 2 : x.kind === 'count_distinct' ? 8 : 127,
          DATA_TYPE: 5,
          NUMERIC_PRECISION: 16,
          NUMERIC_SCALE: -1,
          DESCRIPTION: x.definition,
          MEASURE_IS_VISIBLE: true,
          MEASURE_UNQUALIFIED_CAPTION: x.label.it,
          MEASUREGROUP_NAME: c.name,
          MEASURE_DISPLAY_FOLDER: displayFolder(x),
          DEFAULT_FORMAT_STRING: FORMAT_STRING[x.format],
        };
      }),
    ),
  MDSCHEMA_MEMBERS: memberRows,
  MDSCHEMA_PROPERTIES: () => [],
  MDSCHEMA_SETS: () => [],
  MDSCHEMA_KPIS: () => [],
  MDSCHEMA_MEASUREGROUPS: (d, r) => cubesFor(d, r).map((c) => ({ ...cubeKey(c), MEASUREGROUP_NAME: c.name, DESCRIPTION: c.description, IS_WRITE_ENABLED: false, MEASUREGROUP_CAPTION: c.caption })),
  MDSCHEMA_MEASUREGROUP_DIMENSIONS: (d, r) =>
    cubesFor(d, r).flatMap((c) =>
      c.hierarchies.map((h) => ({
        ...cubeKey(c),
        MEASUREGROUP_NAME: c.name,
        MEASUREGROUP_CARDINALITY: 'ONE',
        DIMENSION_UNIQUE_NAME: `[${h.name}]`,
        DIMENSION_CARDINALITY: 'MANY',
        DIMENSION_IS_VISIBLE: true,
        DIMENSION_IS_FACT_DIMENSION: false,
        DIMENSION_GRANULARITY: h.levels[h.levels.length - 1].uniqueName,
      })),
    ),
};

/** The rows of a schema rowset, restricted; shared by Discover and the $system DMV queries. */
export async function rowsetRows(name: string, d: DiscoverContext, restrictions: Record<string, string[]>): Promise<{ def: RowsetDef; rows: Row[] }> {
  const def = ROWSETS.get(name.toUpperCase());
  const produce = PRODUCERS[name.toUpperCase()];
  if (!def || !produce) throw new XmlaError(`Il rowset ${name} non è supportato. Rowset disponibili: ${[...ROWSETS.keys()].join(', ')}.`);
  const rows = await produce(d, restrictions);
  return { def, rows: def.name === 'MDSCHEMA_MEMBERS' ? rows : restrict(def, rows, restrictions) };
}

export async function discover(name: string, d: DiscoverContext, restrictions: Record<string, string[]>): Promise<string> {
  const { def, rows } = await rowsetRows(name, d, restrictions);
  return writeRowset(def, rows);
}
