/** Reads one ATS's PON records from the engine into the shapes the rules work on. */
import type { Engine } from '../engine/client.ts';
import { AppError } from '../errors.ts';
import type { Condition, Household, Member, Project, Service } from './scheda.ts';

export async function loadAtsRecords(engine: Engine, ats: string): Promise<{ project: Project; households: Household[] }> {
  const p = { ats };
  const [projects, nuclei, componenti, condizioni, servizi] = await Promise.all([
    engine.query<{ ats: string; dia: string; nuclei_previsti: number }>(`SELECT ats, toString(dia) AS dia, nuclei_previsti FROM ${engine.table('pon_progetti')} WHERE ats = {ats:String}`, p),
    engine.query<{ nucleo_id: string; data_sottoscrizione: string }>(`SELECT nucleo_id, toString(data_sottoscrizione) AS data_sottoscrizione FROM ${engine.table('pon_nuclei')} WHERE ats = {ats:String} ORDER BY nucleo_id`, p),
    engine.query<Omit<Member, 'condizioni' | 'servizi'> & { nucleo_id: string }>(
      `SELECT componente_id, nucleo_id, toString(data_nascita) AS data_nascita, genere, straniero, minoranza, disabilita, destinatario FROM ${engine.table('pon_componenti')} WHERE ats = {ats:String} ORDER BY componente_id`,
      p,
    ),
    engine.query<Condition & { componente_id: string }>(`SELECT componente_id, toString(dal) AS dal, condizione, toFloat64(reddito_annuo) AS reddito_annuo, isced FROM ${engine.table('pon_condizioni')} WHERE ats = {ats:String}`, p),
    engine.query<Service & { componente_id: string }>(`SELECT componente_id, tipo, toString(data_prevista) AS data_prevista, if(isNull(data_erogazione), NULL, toString(data_erogazione)) AS data_erogazione FROM ${engine.table('pon_servizi')} WHERE ats = {ats:String}`, p),
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
    project: { ats: project.ats, dia: project.dia, nuclei_previsti: Number(project.nuclei_previsti) },
    households: nuclei.map((n) => ({ nucleo_id: n.nucleo_id, data_sottoscrizione: n.data_sottoscrizione, componenti: byHousehold.get(n.nucleo_id) ?? [] })),
  };
}
