/**
 * Reads one ATS's PON records into the shapes the rules work on: five select
 * plans over the PON tables, scoped by the gate to the ATS the principal may
 * read, compiled by the one compiler.
 */
import type { Engine } from '../engine/client.ts';
import { AppError } from '../errors.ts';
import { call, column, selectFrom } from '../plan/select.ts';
import { readRows } from '../query/read.ts';
import { securePon, type GateContext } from '../security/gate.ts';
import type { Principal } from '../security/principal.ts';
import type { Condition, Household, Member, Project, Service } from './scheda.ts';

/** Dates leave the engine as text (YYYY-MM-DD); a missing date stays null. */
const asText = (c: string) => [c, call('toString', column(c))] as const;
const byColumn = (c: string) => ({ order: [{ expr: column(c), direction: 'asc' as const }] });

const PON_READS = {
  projects: selectFrom('pon_progetti', ['ats', asText('dia'), 'nuclei_previsti']),
  households: selectFrom('pon_nuclei', ['nucleo_id', asText('data_sottoscrizione')], byColumn('nucleo_id')),
  members: selectFrom('pon_componenti', ['componente_id', 'nucleo_id', asText('data_nascita'), 'genere', 'straniero', 'minoranza', 'disabilita', 'destinatario'], byColumn('componente_id')),
  conditions: selectFrom('pon_condizioni', ['componente_id', asText('dal'), 'condizione', ['reddito_annuo', call('toFloat64', column('reddito_annuo'))], 'isced']),
  services: selectFrom('pon_servizi', ['componente_id', 'tipo', asText('data_prevista'), asText('data_erogazione')]),
};

/** `requested`: the ATS asked for (an ATS user's own by default); `microdata`: the drill-through to member ids. */
export async function loadAtsRecords(
  ctx: GateContext & { readonly engine: Engine },
  principal: Principal,
  requested: string | undefined,
  microdata: boolean,
): Promise<{ ats: string; project: Project; households: Household[] }> {
  const { ats, plans } = securePon(PON_READS, requested, principal, ctx, microdata);
  const [projects, nuclei, componenti, condizioni, servizi] = await Promise.all([
    readRows<{ ats: string; dia: string; nuclei_previsti: number }>(ctx.engine, plans.projects),
    readRows<{ nucleo_id: string; data_sottoscrizione: string }>(ctx.engine, plans.households),
    readRows<Omit<Member, 'condizioni' | 'servizi'> & { nucleo_id: string }>(ctx.engine, plans.members),
    readRows<Condition & { componente_id: string }>(ctx.engine, plans.conditions),
    readRows<Service & { componente_id: string }>(ctx.engine, plans.services),
  ]);
  const project = projects[0];
  if (!project) throw new AppError('NOT_FOUND', `L'ATS ${ats} non ha un progetto PON Avviso 3/2016 registrato.`);
  const members = new Map<string, Member & { nucleo_id: string }>();
  for (const c of componenti)
    members.set(c.componente_id, { ...c, genere: Number(c.genere) as 1 | 2, straniero: Boolean(c.straniero), minoranza: Boolean(c.minoranza), disabilita: Boolean(c.disabilita), destinatario: Boolean(c.destinatario), condizioni: [], servizi: [] });
  for (const c of condizioni) members.get(c.componente_id)?.condizioni.push({ dal: c.dal, condizione: c.condizione, reddito_annuo: c.reddito_annuo === null ? null : Number(c.reddito_annuo), isced: c.isced });
  for (const s of servizi) members.get(s.componente_id)?.servizi.push({ tipo: Number(s.tipo), data_prevista: s.data_prevista, data_erogazione: s.data_erogazione });
  const byHousehold = new Map<string, Member[]>();
  for (const m of members.values()) byHousehold.set(m.nucleo_id, [...(byHousehold.get(m.nucleo_id) ?? []), m]);
  return {
    ats,
    project: { ats: project.ats, dia: project.dia, nuclei_previsti: Number(project.nuclei_previsti) },
    households: nuclei.map((n) => ({ nucleo_id: n.nucleo_id, data_sottoscrizione: n.data_sottoscrizione, componenti: byHousehold.get(n.nucleo_id) ?? [] })),
  };
}
