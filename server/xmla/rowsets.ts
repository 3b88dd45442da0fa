/**
 * The XMLA schema rowsets: their columns (MS-SSAS / XMLA 1.1) and the writer
 * that answers a rowset with its inline XSD and rows, applying restrictions.
 */
import { el, esc, ROWSET, XSD, XSI } from './xml.ts';

export type ColumnType = 'string' | 'int' | 'unsignedInt' | 'short' | 'unsignedShort' | 'boolean' | 'dateTime' | 'double' | 'long';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  /** Always present in every row (the protocol's required columns). */
  readonly required?: boolean;
}

export interface RowsetDef {
  readonly name: string;
  readonly description: string;
  readonly columns: readonly Column[];
  /** Columns a client may restrict on. */
  readonly restrictions: readonly string[];
}

/** A cell: text, number or boolean; `{ xml }` for the nested elements of DISCOVER_SCHEMA_ROWSETS. */
export type Row = Record<string, string | number | boolean | { readonly xml: string } | undefined | null>;

const s = (name: string, required = false): Column => ({ name, type: 'string', required });
const i = (name: string, required = false): Column => ({ name, type: 'int', required });
const u = (name: string, required = false): Column => ({ name, type: 'unsignedInt', required });
const b = (name: string, required = false): Column => ({ name, type: 'boolean', required });
const us = (name: string, required = false): Column => ({ name, type: 'unsignedShort', required });

const CUBE_KEY = [s('CATALOG_NAME', true), s('SCHEMA_NAME'), s('CUBE_NAME', true)];

const defs: RowsetDef[] = [
  {
    name: 'DISCOVER_DATASOURCES',
    description: 'Origini dati disponibili sul server',
    columns: [s('DataSourceName', true), s('DataSourceDescription'), s('URL'), s('DataSourceInfo'), s('ProviderName', true), s('ProviderType', true), s('AuthenticationMode', true)],
    restrictions: ['DataSourceName', 'URL', 'ProviderName', 'ProviderType', 'AuthenticationMode'],
  },
  {
    name: 'DISCOVER_PROPERTIES',
    description: 'Proprietà XMLA supportate e loro valori',
    columns: [s('PropertyName', true), s('PropertyDescription'), s('PropertyType'), s('PropertyAccessType', true), b('IsRequired'), s('Value')],
    restrictions: ['PropertyName'],
  },
  {
    name: 'DISCOVER_SCHEMA_ROWSETS',
    description: 'Rowset di schema supportati',
    columns: [s('SchemaName', true), s('SchemaGuid'), s('Restrictions'), s('Description'), u('RestrictionsMask')],
    restrictions: ['SchemaName'],
  },
  {
    name: 'DISCOVER_LITERALS',
    description: 'Letterali del linguaggio (separatori, caratteri di quotatura)',
    columns: [s('LiteralName', true), s('LiteralValue'), s('LiteralInvalidChars'), s('LiteralInvalidStartingChars'), i('LiteralMaxLength'), i('LiteralNameEnumValue')],
    restrictions: ['LiteralName'],
  },
  {
    name: 'DISCOVER_ENUMERATORS',
    description: 'Enumerazioni usate dalle proprietà',
    columns: [s('EnumName', true), s('EnumDescription'), s('EnumType', true), s('ElementName', true), s('ElementDescription'), s('ElementValue')],
    restrictions: ['EnumName'],
  },
  {
    name: 'DISCOVER_KEYWORDS',
    description: 'Parole riservate MDX',
    columns: [s('Keyword', true)],
    restrictions: ['Keyword'],
  },
  {
    name: 'DBSCHEMA_CATALOGS',
    description: 'Cataloghi (database) del server',
    columns: [s('CATALOG_NAME', true), s('DESCRIPTION'), s('ROLES'), { name: 'DATE_MODIFIED', type: 'dateTime' }],
    restrictions: ['CATALOG_NAME'],
  },
  {
    name: 'DBSCHEMA_SCHEMATA',
    description: 'Schemi di ogni catalogo',
    columns: [s('CATALOG_NAME', true), s('SCHEMA_NAME', true), s('SCHEMA_OWNER')],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'SCHEMA_OWNER'],
  },
  {
    name: 'MDSCHEMA_CUBES',
    description: 'Cubi visibili al profilo',
    columns: [
      ...CUBE_KEY, s('CUBE_TYPE', true), s('CUBE_GUID'), { name: 'CREATED_ON', type: 'dateTime' }, { name: 'LAST_SCHEMA_UPDATE', type: 'dateTime' }, s('SCHEMA_UPDATED_BY'),
      { name: 'LAST_DATA_UPDATE', type: 'dateTime' }, s('DATA_UPDATED_BY'), s('DESCRIPTION'), b('IS_DRILLTHROUGH_ENABLED'), b('IS_LINKABLE'), b('IS_WRITE_ENABLED'), b('IS_SQL_ENABLED'),
      s('CUBE_CAPTION'), s('BASE_CUBE_NAME'), us('CUBE_SOURCE'), us('PREFERRED_QUERY_PATTERNS'),
    ],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'CUBE_NAME', 'CUBE_TYPE', 'BASE_CUBE_NAME', 'CUBE_SOURCE'],
  },
  {
    name: 'MDSCHEMA_DIMENSIONS',
    description: 'Dimensioni di ogni cubo',
    columns: [
      ...CUBE_KEY, s('DIMENSION_NAME', true), s('DIMENSION_UNIQUE_NAME', true), s('DIMENSION_GUID'), s('DIMENSION_CAPTION', true), u('DIMENSION_ORDINAL', true), { name: 'DIMENSION_TYPE', type: 'short', required: true },
      u('DIMENSION_CARDINALITY'), s('DEFAULT_HIERARCHY'), s('DESCRIPTION'), b('IS_VIRTUAL'), b('IS_READWRITE'), i('DIMENSION_UNIQUE_SETTINGS'), s('DIMENSION_MASTER_UNIQUE_NAME'), b('DIMENSION_IS_VISIBLE'),
    ],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'CUBE_NAME', 'DIMENSION_NAME', 'DIMENSION_UNIQUE_NAME', 'CUBE_SOURCE', 'DIMENSION_VISIBILITY'],
  },
  {
    name: 'MDSCHEMA_HIERARCHIES',
    description: 'Gerarchie di ogni dimensione',
    columns: [
      ...CUBE_KEY, s('DIMENSION_UNIQUE_NAME', true), s('HIERARCHY_NAME', true), s('HIERARCHY_UNIQUE_NAME', true), s('HIERARCHY_GUID'), s('HIERARCHY_CAPTION', true), { name: 'DIMENSION_TYPE', type: 'short', required: true },
      u('HIERARCHY_CARDINALITY'), s('DEFAULT_MEMBER'), s('ALL_MEMBER'), s('DESCRIPTION'), { name: 'STRUCTURE', type: 'short' }, b('IS_VIRTUAL'), b('IS_READWRITE'), i('DIMENSION_UNIQUE_SETTINGS'),
      s('DIMENSION_MASTER_UNIQUE_NAME'), b('DIMENSION_IS_VISIBLE'), u('HIERARCHY_ORDINAL'), b('DIMENSION_IS_SHARED'), b('HIERARCHY_IS_VISIBLE'), us('HIERARCHY_ORIGIN'), s('HIERARCHY_DISPLAY_FOLDER'),
      i('INSTANCE_SELECTION'), i('GROUPING_BEHAVIOR'), s('STRUCTURE_TYPE'),
    ],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'CUBE_NAME', 'DIMENSION_UNIQUE_NAME', 'HIERARCHY_NAME', 'HIERARCHY_UNIQUE_NAME', 'HIERARCHY_ORIGIN', 'CUBE_SOURCE', 'HIERARCHY_VISIBILITY'],
  },
  {
    name: 'MDSCHEMA_LEVELS',
    description: 'Livelli di ogni gerarchia',
    columns: [
      ...CUBE_KEY, s('DIMENSION_UNIQUE_NAME', true), s('HIERARCHY_UNIQUE_NAME', true), s('LEVEL_NAME', true), s('LEVEL_UNIQUE_NAME', true), s('LEVEL_GUID'), s('LEVEL_CAPTION', true), u('LEVEL_NUMBER', true),
      u('LEVEL_CARDINALITY'), i('LEVEL_TYPE', true), s('DESCRIPTION'), i('CUSTOM_ROLLUP_SETTINGS'), i('LEVEL_UNIQUE_SETTINGS'), b('LEVEL_IS_VISIBLE'), s('LEVEL_ORDERING_PROPERTY'), i('LEVEL_DBTYPE'),
      s('LEVEL_MASTER_UNIQUE_NAME'), s('LEVEL_NAME_SQL_COLUMN_NAME'), s('LEVEL_KEY_SQL_COLUMN_NAME'), s('LEVEL_UNIQUE_NAME_SQL_COLUMN_NAME'), s('LEVEL_ATTRIBUTE_HIERARCHY_NAME'), us('LEVEL_KEY_CARDINALITY'), us('LEVEL_ORIGIN'),
    ],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'CUBE_NAME', 'DIMENSION_UNIQUE_NAME', 'HIERARCHY_UNIQUE_NAME', 'LEVEL_NAME', 'LEVEL_UNIQUE_NAME', 'LEVEL_ORIGIN', 'CUBE_SOURCE', 'LEVEL_VISIBILITY'],
  },
  {
    name: 'MDSCHEMA_MEASURES',
    description: 'Misure di ogni cubo, con formato e cartella',
    columns: [
      ...CUBE_KEY, s('MEASURE_NAME', true), s('MEASURE_UNIQUE_NAME', true), s('MEASURE_CAPTION', true), s('MEASURE_GUID'), i('MEASURE_AGGREGATOR', true), us('DATA_TYPE', true), us('NUMERIC_PRECISION'), { name: 'NUMERIC_SCALE', type: 'short' },
      s('MEASURE_UNITS'), s('DESCRIPTION'), s('EXPRESSION'), b('MEASURE_IS_VISIBLE'), s('LEVELS_LIST'), s('MEASURE_NAME_SQL_COLUMN_NAME'), s('MEASURE_UNQUALIFIED_CAPTION'), s('MEASUREGROUP_NAME'),
      s('MEASURE_DISPLAY_FOLDER'), s('DEFAULT_FORMAT_STRING'),
    ],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'CUBE_NAME', 'MEASURE_NAME', 'MEASURE_UNIQUE_NAME', 'MEASUREGROUP_NAME', 'CUBE_SOURCE', 'MEASURE_VISIBILITY'],
  },
  {
    name: 'MDSCHEMA_MEMBERS',
    description: 'Membri di gerarchie e livelli, limitati all’ambito del profilo',
    columns: [
      ...CUBE_KEY, s('DIMENSION_UNIQUE_NAME', true), s('HIERARCHY_UNIQUE_NAME', true), s('LEVEL_UNIQUE_NAME', true), u('LEVEL_NUMBER', true), u('MEMBER_ORDINAL'), s('MEMBER_NAME', true), s('MEMBER_UNIQUE_NAME', true),
      i('MEMBER_TYPE', true), s('MEMBER_GUID'), s('MEMBER_CAPTION', true), u('CHILDREN_CARDINALITY', true), u('PARENT_LEVEL', true), s('PARENT_UNIQUE_NAME'), u('PARENT_COUNT', true), s('DESCRIPTION'),
      s('EXPRESSION'), s('MEMBER_KEY'), b('IS_PLACEHOLDERMEMBER'), b('IS_DATAMEMBER'),
    ],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'CUBE_NAME', 'DIMENSION_UNIQUE_NAME', 'HIERARCHY_UNIQUE_NAME', 'LEVEL_UNIQUE_NAME', 'LEVEL_NUMBER', 'MEMBER_NAME', 'MEMBER_UNIQUE_NAME', 'MEMBER_CAPTION', 'MEMBER_TYPE', 'TREE_OP', 'CUBE_SOURCE'],
  },
  {
    name: 'MDSCHEMA_PROPERTIES',
    description: 'Proprietà dei membri e delle celle',
    columns: [
      ...CUBE_KEY, s('DIMENSION_UNIQUE_NAME'), s('HIERARCHY_UNIQUE_NAME'), s('LEVEL_UNIQUE_NAME'), s('MEMBER_UNIQUE_NAME'), { name: 'PROPERTY_TYPE', type: 'short', required: true }, s('PROPERTY_NAME', true),
      s('PROPERTY_CAPTION'), us('DATA_TYPE', true), u('CHARACTER_MAXIMUM_LENGTH'), u('CHARACTER_OCTET_LENGTH'), us('NUMERIC_PRECISION'), { name: 'NUMERIC_SCALE', type: 'short' }, s('DESCRIPTION'),
      { name: 'PROPERTY_CONTENT_TYPE', type: 'short' }, s('SQL_COLUMN_NAME'), us('LANGUAGE'), us('PROPERTY_ORIGIN'), s('PROPERTY_ATTRIBUTE_HIERARCHY_NAME'), s('PROPERTY_CARDINALITY'), s('MIME_TYPE'), b('PROPERTY_IS_VISIBLE'),
    ],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'CUBE_NAME', 'DIMENSION_UNIQUE_NAME', 'HIERARCHY_UNIQUE_NAME', 'LEVEL_UNIQUE_NAME', 'MEMBER_UNIQUE_NAME', 'PROPERTY_NAME', 'PROPERTY_TYPE', 'PROPERTY_CONTENT_TYPE', 'PROPERTY_ORIGIN', 'CUBE_SOURCE', 'PROPERTY_VISIBILITY'],
  },
  {
    name: 'MDSCHEMA_SETS',
    description: 'Set denominati (nessuno)',
    columns: [...CUBE_KEY, s('SET_NAME', true), i('SCOPE', true), s('DESCRIPTION'), s('EXPRESSION'), s('DIMENSIONS'), s('SET_CAPTION'), s('SET_DISPLAY_FOLDER'), i('SET_EVALUATION_CONTEXT')],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'CUBE_NAME', 'SET_NAME', 'SCOPE', 'CUBE_SOURCE', 'HIERARCHY_UNIQUE_NAME'],
  },
  {
    name: 'MDSCHEMA_KPIS',
    description: 'KPI (nessuno)',
    columns: [
      ...CUBE_KEY, s('MEASUREGROUP_NAME'), s('KPI_NAME', true), s('KPI_CAPTION'), s('KPI_DESCRIPTION'), s('KPI_DISPLAY_FOLDER'), s('KPI_VALUE'), s('KPI_GOAL'), s('KPI_STATUS'), s('KPI_TREND'),
      s('KPI_STATUS_GRAPHIC'), s('KPI_TREND_GRAPHIC'), s('KPI_WEIGHT'), s('KPI_CURRENT_TIME_MEMBER'), s('KPI_PARENT_KPI_NAME'), i('SCOPE'),
    ],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'CUBE_NAME', 'KPI_NAME', 'CUBE_SOURCE'],
  },
  {
    name: 'MDSCHEMA_MEASUREGROUPS',
    description: 'Gruppi di misure (uno per cubo)',
    columns: [...CUBE_KEY, s('MEASUREGROUP_NAME', true), s('DESCRIPTION'), b('IS_WRITE_ENABLED'), s('MEASUREGROUP_CAPTION')],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'CUBE_NAME', 'MEASUREGROUP_NAME'],
  },
  {
    name: 'MDSCHEMA_MEASUREGROUP_DIMENSIONS',
    description: 'Dimensioni di ogni gruppo di misure',
    columns: [
      ...CUBE_KEY, s('MEASUREGROUP_NAME', true), s('MEASUREGROUP_CARDINALITY'), s('DIMENSION_UNIQUE_NAME', true), s('DIMENSION_CARDINALITY'), b('DIMENSION_IS_VISIBLE'), b('DIMENSION_IS_FACT_DIMENSION'),
      s('DIMENSION_PATH'), s('DIMENSION_GRANULARITY'),
    ],
    restrictions: ['CATALOG_NAME', 'SCHEMA_NAME', 'CUBE_NAME', 'MEASUREGROUP_NAME', 'DIMENSION_UNIQUE_NAME', 'DIMENSION_VISIBILITY'],
  },
];

export const ROWSETS: ReadonlyMap<string, RowsetDef> = new Map(defs.map((d) => [d.name, d]));

/** Rows that satisfy the restrictions on the rowset's own columns (names compared without case); other restrictions are tolerated. */
export function restrict(def: RowsetDef, rows: Row[], restrictions: Record<string, string[]>, skip: readonly string[] = []): Row[] {
  const active = Object.entries(restrictions).filter(([name, values]) => values.length && !skip.includes(name) && def.columns.some((c) => c.name === name));
  return rows.filter((r) => active.every(([name, values]) => values.some((v) => String(r[name] ?? '').toLowerCase() === v.toLowerCase())));
}

function schema(def: RowsetDef): string {
  const cols = def.columns.map((c) => el('xsd:element', '', { 'sql:field': c.name, name: c.name, type: `xsd:${c.type}`, ...(c.required ? {} : { minOccurs: '0' }) })).join('');
  return el(
    'xsd:schema',
    el('xsd:element', el('xsd:complexType', el('xsd:sequence', el('xsd:element', '', { name: 'row', type: 'row' }), { minOccurs: '0', maxOccurs: 'unbounded' })), { name: 'root' }) +
      el('xsd:complexType', el('xsd:sequence', cols), { name: 'row' }),
    { targetNamespace: ROWSET, 'xmlns:sql': 'urn:schemas-microsoft-com:xml-sql', elementFormDefault: 'qualified' },
  );
}

const value = (v: string | number | boolean | { readonly xml: string }) => (typeof v === 'object' ? v.xml : typeof v === 'string' ? esc(v) : String(v));

/** `<root>` of a rowset: schema and rows, columns in declared order, absent values left out. */
export function writeRowset(def: RowsetDef, rows: readonly Row[]): string {
  const body = rows
    .map((r) =>
      el(
        'row',
        def.columns
          .map((c) => {
            const v = r[c.name];
            return v === undefined || v === null ? '' : el(c.name, value(v));
          })
          .join(''),
      ),
    )
    .join('');
  return el('root', schema(def) + body, { xmlns: ROWSET, 'xmlns:xsd': XSD, 'xmlns:xsi': XSI });
}
