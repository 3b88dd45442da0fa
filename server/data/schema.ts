/**
 * Tables of the demo / reference data set. Idempotent: every statement is
 * `CREATE … IF NOT EXISTS`. Column names are the ones the cube files use.
 */
import type { Engine } from '../engine/client.ts';

export const TABLES = {
  /** One row per ISTAT comune with its place in the territory hierarchy (real comuni, generated ATS). */
  territorio: `
    comune String,               -- ISTAT code, 6 digits
    comune_nome String,
    codice_catastale String,     -- 4 chars, e.g. H501
    provincia String,            -- ISTAT province code, 3 digits
    provincia_nome String,
    sigla String,
    regione String,              -- 2 digits; the autonomous provinces are '21' Bolzano and '22' Trento
    regione_nome String,
    ats String,                  -- generated ATS code, e.g. 'ATS05007' (region 05, 7th ATS)
    ats_nome String,
    popolazione_comune UInt32    -- ISTAT census 2011
  `,
  /** Estimated resident population by comune x single year of age x gender (generated from the census total). */
  popolazione: `
    comune String, ats String, regione String, popolazione_comune UInt32,
    eta UInt8,                   -- 0..100 (100 = 100 and over)
    genere UInt8,                -- 1 Maschio, 2 Femmina
    residenti UInt32
  `,
  /** Providers (enti erogatori): every comune, every ATS, INPS and other bodies. */
  enti: `
    ente String,                 -- e.g. 'C058091' (Comune di Roma), 'A12003' (ATS), 'INPS', 'E05001'
    ente_nome String,
    ente_tipo LowCardinality(String), -- comune | ats | inps | altro
    sede_comune String,          -- ISTAT code of the comune of the legal seat
    sede_ats String,
    sede_regione String,
    inps UInt8 DEFAULT ente_tipo = 'inps' -- 1 for INPS: looked up by loads of prestazioni
  `,
  /** Nomenclatore degli interventi e servizi sociali: the codes used by the demo data, with their category. */
  nomenclatore: `
    codice_prestazione String,   -- e.g. 'A1.06'
    prestazione_nome String,     -- e.g. 'Buoni spesa o buoni pasto'
    categoria String,            -- e.g. 'A1'
    categoria_nome String,       -- e.g. 'Contributi economici'
    fonte LowCardinality(String) -- 'PAS' when the code and label appear in the PAS guide, 'plausibile' when invented
  `,
  /** PS-PSA social benefit records (generated demo data, SIUSS-like fields). */
  prestazioni: `
    anno UInt16,
    trimestre UInt8,
    beneficiario_id UInt64,      -- pseudonymous person id, stable across years and benefits
    comune String, ats String, regione String, popolazione_comune UInt32, -- residence of the beneficiary
    eta UInt8,                   -- age in completed years in that year
    genere UInt8,                -- 1 Maschio, 2 Femmina
    ente String, ente_tipo LowCardinality(String),
    sede_comune String, sede_ats String, sede_regione String,            -- legal seat of the ente
    categoria LowCardinality(String),          -- e.g. 'A1'
    codice_prestazione LowCardinality(String), -- e.g. 'A1.06'
    carattere UInt8,             -- 1 Periodico, 2 Occasionale
    presa_in_carico UInt8,       -- 1 SI, 2 NO
    area_utenza UInt8,           -- 0 non preso in carico, 1 famiglia e minori, 2 disabilità e non autosufficienza, 3 povertà ed esclusione sociale
    prova_mezzi UInt8,           -- PresenzaProvaMezzi 1..4
    inps UInt8,                  -- 1 if the ente is INPS
    importo Decimal(18, 2),
    isee Nullable(Decimal(18, 2)) -- ISEE value where the benefit is ISEE-bound and the DSU is known
  `,
  /** SINA: multidimensional assessments of non-self-sufficient beneficiaries of PS-PSA benefits (codes of PS_PSA_SINA201812.xsd). */
  sina: `
    anno UInt16,
    valutazione_id UInt64,       -- one assessment per beneficiary and year; a row per benefit code received
    beneficiario_id UInt64,
    comune String, ats String, regione String, popolazione_comune UInt32,
    eta UInt8, genere UInt8,
    categoria LowCardinality(String), codice_prestazione LowCardinality(String),
    ente String, ente_tipo LowCardinality(String), sede_comune String, sede_ats String, sede_regione String,
    mobilita UInt8,              -- 1 si sposta da solo, 2 assistito, 3 non si sposta
    attivita_vita_quotidiana UInt8, -- 1 autonomo, 2 parzialmente dipendente, 3 totalmente dipendente
    disturbi_cognitivi UInt8,    -- 1 lievi, 2 moderati, 3 gravi
    disturbi_comportamentali UInt8, -- 1 assenti, 2 presenti
    necessita_cure UInt8,        -- 1 bassa, 2 media, 3 alta
    area_reddituale UInt8,       -- 1 autonomo, 2 aiuto da parenti/altri, 3 in bisogno senza aiuti
    area_supporto UInt8,         -- 1 rete familiare presente, 2 parziale, 3 assente
    fonte_valutazione UInt8,     -- 1 UVM, 2 cartella sociale, 3 altra documentazione, 4 raccolta diretta
    strumento UInt8,             -- 1 SVAMA .. 7 altro
    importo Decimal(18, 2)       -- amount of this benefit code to the person in the year (area disabilità e non autosufficienza)
  `,
  /** SINBA: children and adolescents in care of the social services (SINBA.xsd; code lists partly plausible). */
  sinba: `
    anno_trasmissione UInt16,
    beneficiario_id UInt64,
    comune String, ats String, regione String, popolazione_comune UInt32,
    eta UInt8, genere UInt8,
    componenti_famiglia UInt8,   -- household size
    condizione UInt8,            -- 1 in famiglia, 2 in affidamento familiare, 3 in comunità / servizio residenziale, 4 in semiautonomia
    disabilita UInt8,            -- 1 sì, 2 no
    straniero_non_accompagnato UInt8, -- 1 sì, 2 no
    fonte_segnalazione UInt8,    -- 1 famiglia, 2 scuola, 3 servizi sanitari, 4 autorità giudiziaria, 5 forze dell'ordine, 6 altro
    valutazione_famiglia UInt8,  -- 1 risorse adeguate, 2 parzialmente adeguate, 3 inadeguate
    autorita_giudiziaria UInt8,  -- 1 nessuna, 2 Tribunale per i minorenni, 3 Tribunale ordinario
    provvedimento UInt8,         -- 1 nessuno, 2 affidamento al servizio sociale, 3 collocamento fuori famiglia, 4 limitazione responsabilità genitoriale, 5 altro
    luogo_vita UInt8,            -- 1 famiglia di origine, 2 famiglia affidataria, 3 comunità familiare, 4 comunità educativa, 5 altro
    scuola UInt8,                -- 1 non in età scolare, 2 frequenta regolarmente, 3 frequenta irregolarmente, 4 non frequenta
    lavoro UInt8,                -- 1 non in età lavorativa, 2 studia, 3 lavora, 4 né studia né lavora
    isee Nullable(Decimal(18, 2))
  `,
  /** ISEE declarations (DSU, from the SII) of residents, by type of indicator. */
  dsu: `
    anno UInt16,
    dsu_id UInt64,
    beneficiario_id UInt64,
    comune String, ats String, regione String, popolazione_comune UInt32,
    tipo_indicatore UInt8,       -- 1 ordinario, 2 minorenni, 3 sociosanitario, 4 universitario, 5 corrente
    componenti UInt8,
    isee Decimal(18, 2)
  `,
  /** PON Inclusione Avviso 3/2016: one project per ATS, with its activity start date (DIA) and target households. */
  pon_progetti: `
    ats String,
    dia Date32,                    -- data di inizio attività (Convenzione di sovvenzione)
    nuclei_previsti UInt32       -- first column of table 1A
  `,
  /** Households (nuclei SIA/REI) and the signing date of their personalised project. */
  pon_nuclei: `
    nucleo_id String,            -- pseudonymous
    ats String,
    comune String,
    data_sottoscrizione Date32   -- signing of the personalised project: the household is taken in charge
  `,
  /** Members of the households; destinatario = taken in charge in the project (minors included). */
  pon_componenti: `
    componente_id String,        -- pseudonymous
    nucleo_id String,
    ats String,
    data_nascita Date32,
    genere UInt8,                -- 1 uomo, 2 donna
    straniero Bool,              -- migrant, foreign background
    minoranza Bool,              -- minorities, including Roma
    disabilita Bool,             -- certified disability
    destinatario Bool
  `,
  /** Employment and education of a member from a date on: the record in force on the signing day applies. */
  pon_condizioni: `
    componente_id String,
    ats String,
    dal Date32,
    condizione LowCardinality(String), -- dipendente | autonomo | disoccupato | studente | pensionato | inattivo
    reddito_annuo Nullable(Decimal(18, 2)), -- gross annual income (employees and self-employed; empty for the others)
    isced LowCardinality(String)       -- 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | nessuno
  `,
  /** Services planned for a member; data_erogazione is null when never delivered. */
  pon_servizi: `
    componente_id String,
    ats String,
    tipo UInt8,                  -- 1 socio-educativi; 2 orientamento, competenze, consulenza, attivazione lavorativa, work experience; 3 formazione per il lavoro; 4 altro
    descrizione String,
    data_prevista Date32,
    data_erogazione Nullable(Date32)
  `,
  /** One row per load: what was loaded, when, how many rows; the latest per source is the data's "as of". */
  data_versions: `
    source LowCardinality(String),
    loaded_at DateTime64(3, 'UTC'),
    rows UInt64,
    generated Bool,
    note String,
    version String               -- id of the load (npm run load / POST /v1/admin/loads); empty for demo data
  `,
  /** The load journal: one row per state change of a load (running, committing, then succeeded / rejected / failed / interrupted). */
  load_journal: `
    id String,
    updated_at DateTime64(3, 'UTC'),
    table_name String,
    file_name String,
    format LowCardinality(String),
    checksum String,             -- SHA-256 of the file's bytes
    status LowCardinality(String),
    rows_read UInt64,
    rows_accepted UInt64,
    rows_rejected UInt64,
    max_rejects UInt64,
    batches Array(String),       -- partitions replaced, e.g. ['2024']; empty: the whole table
    rejects String,              -- JSON: first rejected rows and totals by reason
    error String,
    started_at DateTime64(3, 'UTC'),
    finished_at Nullable(DateTime64(3, 'UTC')),
    shadow_uuid String,          -- uuid of the table swapped in at commit: tells, after a crash, whether the swap happened
    replaced_demo Bool,          -- the table held generated demo data: the load replaced all of it, not only its batches
    rows_replaced UInt64,        -- rows of the batches (or table) replaced, counted before the swap
    refusal LowCardinality(String), -- why a refused load was refused: rows, file, consistency, shrink, expect_rows, checksum, space
    group_id String              -- loads of several tables swapped in together (a PON batch) share it
  `,
} as const;

export const ENGINES: Record<keyof typeof TABLES, string> = {
  territorio: 'ENGINE = MergeTree ORDER BY comune',
  popolazione: 'ENGINE = MergeTree ORDER BY (regione, ats, comune, eta, genere)',
  enti: 'ENGINE = MergeTree ORDER BY ente',
  nomenclatore: 'ENGINE = MergeTree ORDER BY codice_prestazione',
  data_versions: 'ENGINE = MergeTree ORDER BY (source, loaded_at)',
  load_journal: 'ENGINE = MergeTree ORDER BY (id, updated_at)',
  pon_progetti: 'ENGINE = MergeTree ORDER BY ats',
  // A year is the batch a load replaces (tables declared in cubes/sina.yaml, sinba.yaml, isee.yaml).
  sina: 'ENGINE = MergeTree PARTITION BY anno ORDER BY (regione, ats, comune, anno)',
  sinba: 'ENGINE = MergeTree PARTITION BY anno_trasmissione ORDER BY (regione, ats, comune, anno_trasmissione)',
  dsu: 'ENGINE = MergeTree PARTITION BY anno ORDER BY (regione, ats, comune, anno)',
  pon_nuclei: 'ENGINE = MergeTree ORDER BY (ats, nucleo_id)',
  pon_componenti: 'ENGINE = MergeTree ORDER BY (ats, nucleo_id, componente_id)',
  pon_condizioni: 'ENGINE = MergeTree ORDER BY (ats, componente_id, dal)',
  pon_servizi: 'ENGINE = MergeTree ORDER BY (ats, componente_id)',
  prestazioni: 'ENGINE = MergeTree PARTITION BY anno ORDER BY (regione, ats, comune, codice_prestazione, beneficiario_id)',
};

export type TableName = keyof typeof TABLES;

export function createTableSql(engine: Engine, name: TableName, as: string = name): string {
  return `CREATE TABLE IF NOT EXISTS ${engine.table(as)} (${TABLES[name]}) ${ENGINES[name]}`;
}

export async function ensureSchema(engine: Engine): Promise<void> {
  for (const name of Object.keys(TABLES) as TableName[]) await engine.command(createTableSql(engine, name));
  // Data directories created before loads existed lack the version column.
  await engine.command(`ALTER TABLE ${engine.table('data_versions')} ADD COLUMN IF NOT EXISTS version String`);
  await engine.command(`ALTER TABLE ${engine.table('enti')} ADD COLUMN IF NOT EXISTS inps UInt8 DEFAULT ente_tipo = 'inps'`);
  await engine.command(`ALTER TABLE ${engine.table('load_journal')} ADD COLUMN IF NOT EXISTS replaced_demo Bool`);
  for (const column of ['rows_replaced UInt64', 'refusal LowCardinality(String)', 'group_id String'])
    await engine.command(`ALTER TABLE ${engine.table('load_journal')} ADD COLUMN IF NOT EXISTS ${column}`);
}
