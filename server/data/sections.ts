/**
 * SINA, SINBA and ISEE demo records, derived from the generated PS-PSA
 * benefits so that they belong to the same people and comuni: a SINA
 * assessment to each beneficiary of benefits for disability and
 * non-self-sufficiency, a SINBA record to each minor taken in charge in the
 * area famiglia e minori, a DSU to each beneficiary with an ISEE-bound
 * benefit. Attributes are hash draws, deterministic for a seed.
 */
import type { Engine } from '../engine/client.ts';

const u = (salt: number, ...exprs: string[]) => `(cityHash64({seed:UInt64}, ${[...exprs, String(salt)].join(', ')}) % 1000000) / 1000000.`;
/** A draw among 1..n with the given cumulative weights. */
const pick = (salt: number, cumulative: number[], ...exprs: string[]) =>
  `toUInt8(arrayFirstIndex(x -> x >= ${u(salt, ...exprs)}, [${cumulative.join(', ')}]))`;

export async function generateSections(engine: Engine, seed: number): Promise<{ sina: number; sinba: number; dsu: number }> {
  const P = engine.table('prestazioni');
  const k = ['beneficiario_id', 'anno'];
  // Dependence grows with age: the older, the likelier the higher codes.
  const aged = (salt: number) => `toUInt8(least(3, 1 + floor((${u(salt, ...k)} + eta / 140.) * 1.9)))`;
  await engine.command(
    `INSERT INTO ${engine.table('sina')}
     SELECT anno, cityHash64({seed:UInt64}, beneficiario_id, anno, 'sina'), beneficiario_id, comune, ats, regione, popolazione_comune, eta, genere,
       categoria, codice_prestazione, ente, ente_tipo, sede_comune, sede_ats, sede_regione,
       ${aged(1)}, ${aged(2)}, ${aged(3)}, ${pick(4, [0.7, 1], ...k)}, ${pick(5, [0.3, 0.75, 1], ...k)},
       ${pick(6, [0.35, 0.75, 1], ...k)}, ${pick(7, [0.5, 0.85, 1], ...k)}, ${pick(8, [0.55, 0.8, 0.9, 1], ...k)},
       ${pick(9, [0.35, 0.45, 0.5, 0.55, 0.6, 0.65, 1], ...k)}, imp
     FROM (SELECT anno, beneficiario_id, codice_prestazione, any(categoria) categoria, any(comune) comune, any(ats) ats, any(regione) regione,
                  any(popolazione_comune) popolazione_comune, any(eta) eta, any(genere) genere,
                  any(ente) ente, any(ente_tipo) ente_tipo, any(sede_comune) sede_comune, any(sede_ats) sede_ats, any(sede_regione) sede_regione, sum(importo) imp
           FROM ${P} AS p WHERE p.area_utenza = 2 GROUP BY anno, beneficiario_id, codice_prestazione)`,
    { seed },
  );
  const kb = ['beneficiario_id', 'anno_trasmissione'];
  await engine.command(
    `INSERT INTO ${engine.table('sinba')}
     SELECT anno_trasmissione, beneficiario_id, comune, ats, regione, popolazione_comune, eta, genere,
       toUInt8(2 + floor(${u(1, ...kb)} * 5)), ${pick(2, [0.62, 0.78, 0.95, 1], ...kb)}, ${pick(3, [0.12, 1], ...kb)},
       if(eta >= 14, ${pick(4, [0.08, 1], ...kb)}, toUInt8(2)), ${pick(5, [0.25, 0.5, 0.7, 0.85, 0.93, 1], ...kb)},
       ${pick(6, [0.4, 0.8, 1], ...kb)}, ${pick(7, [0.6, 0.9, 1], ...kb)}, ${pick(8, [0.55, 0.75, 0.85, 0.95, 1], ...kb)},
       ${pick(9, [0.62, 0.78, 0.85, 0.97, 1], ...kb)},
       if(eta < 6, toUInt8(1), ${pick(10, [0, 0.8, 0.93, 1], ...kb)}), if(eta < 15, toUInt8(1), ${pick(11, [0, 0.7, 0.8, 1], ...kb)}),
       isee
     FROM (SELECT anno AS anno_trasmissione, beneficiario_id, any(comune) comune, any(ats) ats, any(regione) regione,
                  any(popolazione_comune) popolazione_comune, any(eta) eta, any(genere) genere, any(isee) isee
           FROM ${P} AS p WHERE p.area_utenza = 1 AND p.eta < 18 GROUP BY anno, beneficiario_id)`,
    { seed },
  );
  await engine.command(
    `INSERT INTO ${engine.table('dsu')}
     SELECT anno, cityHash64({seed:UInt64}, beneficiario_id, anno, 'dsu'), beneficiario_id, comune, ats, regione, popolazione_comune,
       if(eta < 18, toUInt8(2), if(eta >= 65, ${pick(1, [0.5, 0.5, 0.95, 0.95, 1], ...k)}, ${pick(2, [0.85, 0.85, 0.9, 0.97, 1], ...k)})),
       toUInt8(1 + floor(${u(3, ...k)} * 5)), isee
     FROM (SELECT anno, beneficiario_id, any(comune) comune, any(ats) ats, any(regione) regione, any(popolazione_comune) popolazione_comune,
                  any(eta) eta, any(isee) isee
           FROM ${P} AS p WHERE p.isee IS NOT NULL GROUP BY anno, beneficiario_id)`,
    { seed },
  );
  const count = async (t: string) => Number((await engine.query<{ n: number }>(`SELECT count() n FROM ${engine.table(t)}`))[0].n);
  return { sina: await count('sina'), sinba: await count('sinba'), dsu: await count('dsu') };
}
