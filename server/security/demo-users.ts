/**
 * One ready user per profile for the demo: a Regione, an ATS in it, a Comune
 * in that ATS, the Comune as Ente erogatore, and Nazionale. Printed at start
 * with a token each, so a newcomer can try scopes with curl and Swagger UI.
 */
import { call, column, selectFrom, value, type RowReader } from '../plan/select.ts';
import { systemRead } from './gate.ts';
import type { Principal } from './principal.ts';

export interface DemoUser {
  principal: Principal;
  description: string;
}

/** The Regione preferred for the demo users (Lazio), when the territory has it. */
const PREFERRED_REGIONE = '12';

/** Picks the ATS with most comuni in Lazio (or the first region), and its most populous comune: a system read of the territory at start. */
export async function demoUsers(read: RowReader): Promise<DemoUser[]> {
  const mostPopulous = (c: string) => call('argMax', column(c), column('popolazione_comune'));
  const plan = selectFrom(
    'territorio',
    ['regione', ['regione_nome', call('any', column('regione_nome'))], 'ats', ['ats_nome', call('any', column('ats_nome'))], ['comune', mostPopulous('comune')], ['comune_nome', mostPopulous('comune_nome')]],
    {
      groupBy: [column('regione'), column('ats')],
      order: [{ expr: call('equals', column('regione'), value(PREFERRED_REGIONE, 'String')), direction: 'desc' }, { expr: call('count'), direction: 'desc' }, { expr: column('ats'), direction: 'asc' }],
      limit: 1,
    },
  );
  const [pick] = await read<{ regione: string; regione_nome: string; ats: string; ats_nome: string; comune: string; comune_nome: string }>(systemRead(plan));
  if (!pick) return [{ principal: { id: 'demo:nazionale', profile: 'nazionale' }, description: 'Nazionale' }];
  return [
    { principal: { id: 'demo:nazionale', profile: 'nazionale' }, description: 'Nazionale (tutta Italia)' },
    { principal: { id: `demo:regionale:${pick.regione}`, profile: 'regionale', scope: pick.regione }, description: `Regionale: ${pick.regione_nome} (${pick.regione})` },
    { principal: { id: `demo:ats:${pick.ats}`, profile: 'ats', scope: pick.ats }, description: `ATS: ${pick.ats_nome} (${pick.ats})` },
    { principal: { id: `demo:comunale:${pick.comune}`, profile: 'comunale', scope: pick.comune }, description: `Comunale: ${pick.comune_nome} (${pick.comune})` },
    { principal: { id: `demo:ente:C${pick.comune}`, profile: 'ente', scope: `C${pick.comune}` }, description: `Ente erogatore: Comune di ${pick.comune_nome} (C${pick.comune})` },
  ];
}
