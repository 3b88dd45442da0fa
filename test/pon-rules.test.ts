/** The rules of the Scheda di monitoraggio fisico, each on a hand-built household (seed 003). */
import t from 'tap';
import { ageBand, ageOn, computeScheda, conditionOn, workStatus, type Household, type Member } from '../server/pon/scheda.ts';

const project = { ats: 'ATS12005', dia: '2017-10-10', nuclei_previsti: 50 };
const SIGN = '2018-03-15';

function member(id: string, birth: string, genere: 1 | 2, condizione: Member['condizioni'][number]['condizione'], isced: string, extra: Partial<Member> = {}): Member {
  return { componente_id: id, data_nascita: birth, genere, straniero: false, minoranza: false, disabilita: false, destinatario: false, condizioni: [{ dal: '2000-01-01', condizione, reddito_annuo: 0, isced }], servizi: [], ...extra };
}

t.test("the seed's worked example comes out exactly as the seed says", async (t) => {
  // Household of five on the signing day; the father signs a project with three interventions.
  const household: Household = {
    nucleo_id: 'N1',
    data_sottoscrizione: SIGN,
    componenti: [
      member('padre', '1972-06-01', 1, 'disoccupato', '3', { destinatario: true, servizi: [{ tipo: 2, data_prevista: '2018-04-01', data_erogazione: '2018-04-20' }] }),
      member('madre', '1975-09-01', 2, 'inattivo', '3'),
      // She finds a full-time job after signing: characteristics stay those of the signing day, and the training is never delivered.
      { ...member('figlia17', '2000-11-02', 2, 'disoccupato', '2', { destinatario: true, servizi: [{ tipo: 3, data_prevista: '2018-05-01', data_erogazione: null }] }), condizioni: [{ dal: '2000-11-02', condizione: 'disoccupato', reddito_annuo: 0, isced: '2' }, { dal: '2018-04-10', condizione: 'dipendente', reddito_annuo: 18000, isced: '2' }] },
      member('figlio12', '2005-07-07', 1, 'studente', '1', { destinatario: true, servizi: [{ tipo: 1, data_prevista: '2018-04-01', data_erogazione: '2018-04-15' }] }),
      member('figlia2', '2015-12-24', 2, 'inattivo', '0'),
    ],
  };
  const s = computeScheda(project, [household], '2018-12-31');
  t.equal(s.tabella_1A.effettivi, 1, '1A: one household');
  t.equal(s.tabella_1A.previsti, 50);
  t.match(s.tabella_1B.totale, { totale: 3, uomini: 2, donne: 1 }, '1B: three destinatari, two men and one woman');
  t.same(s.tabella_1B.totale.ids, { uomini: ['figlio12', 'padre'], donne: ['figlia17'] });
  t.equal(s.tabella_1B.migranti.totale, 0);
  t.equal(s.tabella_1B.disabilita.totale, 0);
  t.match(s.tabella_1B.status, [{ totale: 2 }, { totale: 1 }], 'father and daughter unemployed, son inactive (student)');
  t.same(s.tabella_1B.eta.map((c) => c.totale), [0, 1, 1, 0, 1, 0], '12 -> 4-15, 17 -> 16-17, 45 -> 25-54');
  t.same(s.tabella_1B.istruzione.map((c) => c.totale), [0, 1, 1, 1, 0, 0]);
  t.match(s.tabella_2A.servizi[1], { totale: 1, uomini: 1, donne: 0 }, '2A: the father in orientation / job activation');
  t.match(s.tabella_2A.servizi[0], { totale: 1, uomini: 1, donne: 0 }, '2A: the son in socio-educational services');
  t.match(s.tabella_2A.servizi[2], { totale: 0 }, 'the training never delivered does not count');
  t.match(s.tabella_2A.totale, { totale: 2, uomini: 2, donne: 0 });
});

t.test('unemployed includes workers under the income thresholds; inactive includes students and pensioners', async (t) => {
  const c = (condizione: Member['condizioni'][number]['condizione'], reddito_annuo: number) => workStatus({ dal: '2000-01-01', condizione, reddito_annuo, isced: '3' });
  t.equal(c('dipendente', 8000), 'disoccupato', 'employee at 8,000 euro');
  t.equal(c('dipendente', 8000.01), 'occupato', 'employee above 8,000 euro');
  t.equal(c('autonomo', 4800), 'disoccupato', 'self-employed at 4,800 euro');
  t.equal(c('autonomo', 4800.01), 'occupato');
  t.equal(c('studente', 0), 'inattivo');
  t.equal(c('pensionato', 9000), 'inattivo');
  t.equal(c('disoccupato', 0), 'disoccupato');
  // A household with one member employed above the threshold is not "without work": it is not counted at all.
  const h = (reddito: number): Household => ({ nucleo_id: `N${reddito}`, data_sottoscrizione: SIGN, componenti: [member('a', '1980-01-01', 1, 'disoccupato', '3', { destinatario: true }), { ...member('b', '1981-01-01', 2, 'dipendente', '3'), condizioni: [{ dal: '2000-01-01', condizione: 'dipendente', reddito_annuo: reddito, isced: '3' }] }] });
  const s = computeScheda(project, [h(8000), h(8000.01)], '2018-12-31');
  t.same(s.tabella_1A.ids, ['N8000']);
  t.equal(s.tabella_1B.totale.totale, 1, 'members of the excluded household are not destinatari of 1B');
});

t.test('characteristics are those in force on the signing day', async (t) => {
  const m: Member = { ...member('x', '1990-01-01', 1, 'dipendente', '2'), condizioni: [
    { dal: '2010-01-01', condizione: 'dipendente', reddito_annuo: 20000, isced: '2' },
    { dal: SIGN, condizione: 'disoccupato', reddito_annuo: 0, isced: '3' },
    { dal: '2018-03-16', condizione: 'dipendente', reddito_annuo: 30000, isced: '3' },
  ] };
  t.match(conditionOn(m, SIGN), { condizione: 'disoccupato', isced: '3' }, 'a change dated the signing day applies');
  const s = computeScheda(project, [{ nucleo_id: 'N', data_sottoscrizione: SIGN, componenti: [{ ...m, destinatario: true }] }], '2018-12-31');
  t.equal(s.tabella_1A.effettivi, 1, 'employed before and after, unemployed on the day: counted');
  t.equal(s.tabella_1B.istruzione[3].totale, 1, 'education on the signing day (ISCED 3)');
});

t.test('age bands end the day before the next birthday', async (t) => {
  t.equal(ageOn('2014-03-15', '2018-03-15'), 4, 'turning 4 on the signing day');
  t.equal(ageBand(ageOn('2014-03-15', '2018-03-15')), '4-15');
  t.equal(ageBand(ageOn('2014-03-16', '2018-03-15')), '0-3', 'the day before the fourth birthday');
  t.equal(ageBand(ageOn('2002-03-15', '2018-03-15')), '16-17');
  t.equal(ageBand(ageOn('2000-03-16', '2018-03-15')), '16-17', 'one day short of 18');
  t.equal(ageBand(ageOn('2000-03-15', '2018-03-15')), '18-24');
  t.equal(ageBand(ageOn('1963-03-16', '2018-03-15')), '25-54', 'one day short of 55');
  t.equal(ageBand(ageOn('1963-03-15', '2018-03-15')), '55+');
  t.equal(ageOn('2016-02-29', '2018-02-28'), 1, 'born on 29 February: not yet 2 on 28 February');
  t.equal(ageOn('2016-02-29', '2018-03-01'), 2);
});

t.test('2A: first delivered service, once per person and type, within the period', async (t) => {
  const served: Member = member('s', '1980-05-05', 2, 'disoccupato', '3', {
    destinatario: true,
    servizi: [
      { tipo: 2, data_prevista: '2018-04-01', data_erogazione: '2018-04-10' },
      { tipo: 2, data_prevista: '2018-06-01', data_erogazione: '2018-06-10' },
      { tipo: 3, data_prevista: '2018-06-01', data_erogazione: '2019-02-01' },
      { tipo: 4, data_prevista: '2018-06-01', data_erogazione: null },
    ],
  });
  const s = computeScheda(project, [{ nucleo_id: 'N', data_sottoscrizione: SIGN, componenti: [served] }], '2018-12-31');
  t.match(s.tabella_2A.servizi[1], { totale: 1, donne: 1 }, 'served twice in the same type: once');
  t.equal(s.tabella_2A.servizi[2].totale, 0, 'delivered after the end of the period: not yet');
  t.equal(s.tabella_2A.servizi[3].totale, 0, 'planned, never delivered');
  const later = computeScheda(project, [{ nucleo_id: 'N', data_sottoscrizione: SIGN, componenti: [served] }], '2019-06-30');
  t.equal(later.tabella_2A.servizi[2].totale, 1, 'cumulative: counted in the later period');
  t.equal(later.tabella_2A.totale.totale, 1, 'one person in the total whatever the number of types');
});

t.test('cumulative from the DIA to the end of the period; subsets of 1B', async (t) => {
  const hh = (id: string, day: string, extra: Partial<Member> = {}): Household => ({ nucleo_id: id, data_sottoscrizione: day, componenti: [member(`${id}-m`, '1985-01-01', 1, 'disoccupato', '2', { destinatario: true, ...extra })] });
  const list = [hh('prima', '2017-10-09'), hh('dia', '2017-10-10', { straniero: true }), hh('fine', '2018-12-31', { disabilita: true, minoranza: true }), hh('dopo', '2019-01-01')];
  const s = computeScheda(project, list, '2018-12-31');
  t.same(s.tabella_1A.ids, ['dia', 'fine'], 'from the DIA to the end of the period, both included');
  t.equal(s.tabella_1B.migranti.totale, 2, 'foreign background and minorities');
  t.equal(s.tabella_1B.disabilita.totale, 1);
  const custom = computeScheda(project, list, '2018-12-31', '2017-01-01');
  t.equal(custom.tabella_1A.effettivi, 3, 'an explicit DIA replaces the project one');
  t.throws(() => computeScheda(project, list, '2017-01-01'), RangeError);
});
