/**
 * PON Inclusione, Avviso 3/2016: the "Scheda di monitoraggio fisico"
 * (tables 1A, 1B, 2A) computed from microdata, by the rules of the guidelines
 * (seed 003). Pure functions: the caller loads one ATS's records.
 *
 * - 1A: households taken in charge (project signed) between the DIA and the
 *   end of the period whose members are ALL unemployed or inactive on the
 *   signing day. A household with no members, or a member with no record in
 *   force on the signing day, is not counted and is listed among the sheet's
 *   data-quality warnings (`avvisi`).
 * - 1B: the members of those households taken in charge (destinatari, minors
 *   included), by gender; migrants / foreign background / minorities and
 *   people with disabilities as subsets; by employment status, age band and
 *   education, all as of the signing day.
 * - 2A: those destinatari actually served (first delivered service between
 *   the DIA and the end of the period), per type of service and gender; a
 *   planned service never delivered does not count; one person counts once
 *   per type.
 */

export interface Condition {
  dal: string; // ISO date
  condizione: 'dipendente' | 'autonomo' | 'disoccupato' | 'studente' | 'pensionato' | 'inattivo';
  /** Gross annual income; null for people who are not employees or self-employed. */
  reddito_annuo: number | null;
  isced: string; // '0'..'8' | 'nessuno'
}

export interface Service {
  tipo: number;
  data_prevista: string;
  data_erogazione: string | null;
}

export interface Member {
  componente_id: string;
  data_nascita: string;
  genere: 1 | 2;
  straniero: boolean;
  minoranza: boolean;
  disabilita: boolean;
  destinatario: boolean;
  condizioni: Condition[];
  servizi: Service[];
}

export interface Household {
  nucleo_id: string;
  data_sottoscrizione: string;
  componenti: Member[];
}

export interface Project {
  ats: string;
  dia: string;
  nuclei_previsti: number;
}

/**
 * Income thresholds up to which workers count as unemployed, the threshold
 * itself included (seed 003: "il cui reddito complessivo annuo lordo non
 * supera gli 8.000 euro", 4.800 for the self-employed; D.Lgs 147/2017, art. 3 c. 3).
 */
export const SOGLIA_DIPENDENTI = 8000;
export const SOGLIA_AUTONOMI = 4800;

export type WorkStatus = 'disoccupato' | 'inattivo' | 'occupato';

export function workStatus(c: Condition): WorkStatus {
  switch (c.condizione) {
    case 'disoccupato':
      return 'disoccupato';
    case 'dipendente':
      return c.reddito_annuo !== null && c.reddito_annuo <= SOGLIA_DIPENDENTI ? 'disoccupato' : 'occupato';
    case 'autonomo':
      return c.reddito_annuo !== null && c.reddito_annuo <= SOGLIA_AUTONOMI ? 'disoccupato' : 'occupato';
    case 'studente':
    case 'pensionato':
    case 'inattivo':
      return 'inattivo';
  }
}

/** The record in force on a day: the latest with `dal` on or before it. */
export function conditionOn(member: Member, day: string): Condition | undefined {
  let found: Condition | undefined;
  for (const c of member.condizioni) if (c.dal <= day && (!found || c.dal >= found.dal)) found = c;
  return found;
}

/** Completed years on a day: a birthday is reached on its date (born 29 February: on 1 March in common years). */
export function ageOn(birth: string, day: string): number {
  const [by, bm, bd] = birth.split('-').map(Number);
  const [y, m, d] = day.split('-').map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

export const AGE_BANDS = [
  { key: '0-3', label: 'Persone di età compresa tra 0 e 3 anni', max: 3 },
  { key: '4-15', label: 'Persone di età compresa tra 4 e 15 anni', max: 15 },
  { key: '16-17', label: 'Persone di età compresa tra 16 e 17 anni', max: 17 },
  { key: '18-24', label: 'Persone di età compresa tra 18 e 24 anni', max: 24 },
  { key: '25-54', label: 'Persone di età compresa tra 25 e 54 anni', max: 54 },
  { key: '55+', label: 'Persone di età superiore a 54 anni', max: Infinity },
] as const;

export function ageBand(age: number): (typeof AGE_BANDS)[number]['key'] {
  return AGE_BANDS.find((b) => age <= b.max)!.key;
}

export const EDUCATION = [
  { key: 'isced0', label: 'ISCED 0 - ciclo precedente all\'istruzione primaria', levels: ['0'] },
  { key: 'isced1', label: 'ISCED 1 - istruzione primaria', levels: ['1'] },
  { key: 'isced2', label: 'ISCED 2 - istruzione secondaria inferiore', levels: ['2'] },
  { key: 'isced34', label: 'ISCED 3 - secondaria superiore o ISCED 4 - post secondaria', levels: ['3', '4'] },
  { key: 'isced58', label: 'ISCED 5-8 - istruzione terziaria', levels: ['5', '6', '7', '8'] },
  { key: 'nessuno', label: 'Nessun titolo di studio', levels: ['nessuno'] },
] as const;

/** A type of service of table 2A with its label: declared in cubes/pon.yaml (pon_servizi.tipo labels). */
export interface ServiceType {
  tipo: number;
  label: string;
}

/** A figure of the sheet: men (a), women (b), total, and the ids behind each. */
export interface Cell {
  id: string;
  label: string;
  uomini: number;
  donne: number;
  totale: number;
  ids: { uomini: string[]; donne: string[] };
}

export interface Scheda {
  ats: string;
  dia: string;
  fine_periodo: string;
  tabella_1A: { id: string; label: string; previsti: number; effettivi: number; ids: string[] };
  tabella_1B: { totale: Cell; migranti: Cell; disabilita: Cell; status: Cell[]; eta: Cell[]; istruzione: Cell[] };
  tabella_2A: { servizi: Cell[]; totale: Cell };
  /** Data-quality warnings: records the sheet could not count, and why. */
  avvisi: string[];
}

function cell(id: string, label: string, people: { id: string; genere: 1 | 2 }[]): Cell {
  const uomini = [...new Set(people.filter((p) => p.genere === 1).map((p) => p.id))].sort();
  const donne = [...new Set(people.filter((p) => p.genere === 2).map((p) => p.id))].sort();
  return { id, label, uomini: uomini.length, donne: donne.length, totale: uomini.length + donne.length, ids: { uomini, donne } };
}

/** The four types of table 2A; their labels come from the declaration (serviceTypesOf), here only numbered. */
const NUMBERED_TYPES: readonly ServiceType[] = [1, 2, 3, 4].map((tipo) => ({ tipo, label: `Tipologia ${tipo}` }));

export function computeScheda(project: Project, households: readonly Household[], fine_periodo: string, dia = project.dia, serviceTypes: readonly ServiceType[] = NUMBERED_TYPES): Scheda {
  if (fine_periodo < dia) throw new RangeError(`la fine del periodo (${fine_periodo}) precede la DIA (${dia})`);
  const avvisi: string[] = [];
  // 1A: households signed in [DIA, end] with members, all without work on the signing day.
  const counted = households.filter((h) => {
    if (h.data_sottoscrizione < dia || h.data_sottoscrizione > fine_periodo) return false;
    if (!h.componenti.length) {
      avvisi.push(`Nucleo ${h.nucleo_id}: nessun componente registrato, non contato nella tabella 1A`);
      return false;
    }
    const missing = h.componenti.filter((m) => conditionOn(m, h.data_sottoscrizione) === undefined);
    if (missing.length) {
      avvisi.push(`Nucleo ${h.nucleo_id}: ${missing.map((m) => m.componente_id).join(', ')} senza condizione occupazionale in vigore al ${h.data_sottoscrizione} (data di sottoscrizione), nucleo non contato nella tabella 1A`);
      return false;
    }
    return h.componenti.every((m) => workStatus(conditionOn(m, h.data_sottoscrizione)!) !== 'occupato');
  });

  // 1B: destinatari of those households, characteristics on the signing day.
  const destinatari = counted.flatMap((h) =>
    h.componenti
      .filter((m) => m.destinatario)
      .map((m) => {
        const c = conditionOn(m, h.data_sottoscrizione)!;
        return { id: m.componente_id, genere: m.genere, member: m, status: workStatus(c), band: ageBand(ageOn(m.data_nascita, h.data_sottoscrizione)), isced: c.isced };
      }),
  );
  const b1 = {
    totale: cell('1B.totale', 'Totale destinatari presi in carico', destinatari),
    migranti: cell('1B.migranti', 'di cui migranti, destinatari di origine straniera, minoranze (comprese le comunità emarginate quali i Rom)', destinatari.filter((d) => d.member.straniero || d.member.minoranza)),
    disabilita: cell('1B.disabilita', 'di cui destinatari con disabilità', destinatari.filter((d) => d.member.disabilita)),
    status: [
      cell('1B.status.disoccupati', 'Disoccupati (compresi i lavoratori sotto le soglie di reddito)', destinatari.filter((d) => d.status === 'disoccupato')),
      cell('1B.status.inattivi', 'Inattivi (compresi studenti e pensionati)', destinatari.filter((d) => d.status === 'inattivo')),
    ],
    eta: AGE_BANDS.map((b) => cell(`1B.eta.${b.key}`, b.label, destinatari.filter((d) => d.band === b.key))),
    istruzione: EDUCATION.map((e) => cell(`1B.istruzione.${e.key}`, e.label, destinatari.filter((d) => (e.levels as readonly string[]).includes(d.isced)))),
  };

  // 2A: destinatari served, per type of service, at the first delivery within [DIA, end].
  const served = (tipo?: number) =>
    destinatari.filter((d) => d.member.servizi.some((s) => (tipo === undefined || s.tipo === tipo) && s.data_erogazione !== null && s.data_erogazione >= dia && s.data_erogazione <= fine_periodo));
  const a2 = {
    servizi: serviceTypes.map((t) => cell(`2A.servizi.${t.tipo}`, t.label, served(t.tipo))),
    totale: cell('2A.totale', 'Totale destinatari a cui sono stati erogati servizi', served()),
  };

  return {
    ats: project.ats,
    dia,
    fine_periodo,
    tabella_1A: {
      id: '1A.nuclei',
      label: 'Nuclei, i cui componenti sono senza lavoro, presi in carico nell\'ambito dei servizi finanziati dal PON Inclusione (Avviso 3/2016)',
      previsti: project.nuclei_previsti,
      effettivi: counted.length,
      ids: counted.map((h) => h.nucleo_id).sort(),
    },
    tabella_1B: b1,
    tabella_2A: a2,
    avvisi,
  };
}

/** Every cell of the sheet by id, for drill-through. */
export function cellsOf(s: Scheda): Map<string, Cell> {
  const all = [s.tabella_1B.totale, s.tabella_1B.migranti, s.tabella_1B.disabilita, ...s.tabella_1B.status, ...s.tabella_1B.eta, ...s.tabella_1B.istruzione, ...s.tabella_2A.servizi, s.tabella_2A.totale];
  return new Map(all.map((c) => [c.id, c]));
}

/** The types of service of table 2A as declared (pon_servizi.tipo: values and labels in cubes/pon.yaml). */
export function serviceTypesOf(column: { values?: readonly (string | number)[]; labels?: Readonly<Record<string, string>> } | undefined): ServiceType[] {
  return (column?.values ?? []).map((v) => ({ tipo: Number(v), label: column?.labels?.[String(v)] ?? `Tipologia ${v}` }));
}
