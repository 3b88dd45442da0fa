/**
 * One ready user per profile for the demo: a Regione, an ATS in it, a Comune
 * in that ATS, the Comune as Ente erogatore, and Nazionale. Printed at start
 * with a token each, so a newcomer can try scopes with curl and Swagger UI.
 */
import type { Engine } from '../engine/client.ts';
import type { Principal } from './principal.ts';

export interface DemoUser {
  principal: Principal;
  description: string;
}

/** Picks the ATS with most comuni in Lazio (or the first region), and its most populous comune. */
export async function demoUsers(engine: Engine): Promise<DemoUser[]> {
  const [pick] = await engine.query<{ regione: string; regione_nome: string; ats: string; ats_nome: string; comune: string; comune_nome: string }>(
    `SELECT regione, any(regione_nome) AS regione_nome, ats, any(ats_nome) AS ats_nome,
            argMax(comune, popolazione_comune) AS comune, argMax(comune_nome, popolazione_comune) AS comune_nome
     FROM ${engine.table('territorio')}
     GROUP BY regione, ats
     ORDER BY regione = '12' DESC, count() DESC, ats
     LIMIT 1`,
  );
  if (!pick) return [{ principal: { id: 'demo:nazionale', profile: 'nazionale' }, description: 'Nazionale' }];
  return [
    { principal: { id: 'demo:nazionale', profile: 'nazionale' }, description: 'Nazionale (tutta Italia)' },
    { principal: { id: `demo:regionale:${pick.regione}`, profile: 'regionale', scope: pick.regione }, description: `Regionale: ${pick.regione_nome} (${pick.regione})` },
    { principal: { id: `demo:ats:${pick.ats}`, profile: 'ats', scope: pick.ats }, description: `ATS: ${pick.ats_nome} (${pick.ats})` },
    { principal: { id: `demo:comunale:${pick.comune}`, profile: 'comunale', scope: pick.comune }, description: `Comunale: ${pick.comune_nome} (${pick.comune})` },
    { principal: { id: `demo:ente:C${pick.comune}`, profile: 'ente', scope: `C${pick.comune}` }, description: `Ente erogatore: Comune di ${pick.comune_nome} (C${pick.comune})` },
  ];
}
