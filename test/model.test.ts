import t from 'tap';
import { readFileSync } from 'node:fs';
import { loadModel, ModelError, type ModelIssue } from '../server/model/load.ts';

const shared = readFileSync('cubes/dimensioni.yaml', 'utf8');

function issuesOf(files: Record<string, string>): ModelIssue[] {
  try {
    loadModel({ files });
  } catch (err) {
    if (err instanceof ModelError) return err.issues;
    throw err;
  }
  return [];
}

t.test('the shipped cubes load', async (t) => {
  const model = loadModel({ dir: 'cubes' });
  const p = model.cubes.get('prestazioni')!;
  for (const d of ['anno', 'trimestre', 'regione', 'ats', 'comune', 'fascia_eta', 'genere', 'categoria', 'codice_prestazione', 'carattere', 'area_utenza', 'presa_in_carico', 'cluster', 'fascia_isee', 'ente_erogatore', 'inps'])
    t.ok(p.dimensions.has(d), `dimension ${d}`);
  for (const m of ['importo', 'beneficiari', 'importo_medio', 'quota_popolazione', 'comuni_con_beneficiari', 'quota_comuni', 'quota_importo_presa_in_carico', 'quota_beneficiari_presa_in_carico'])
    t.ok(p.measures.has(m), `measure ${m}`);
  t.same(p.hierarchies.get('territorio')!.levels, ['regione', 'ats', 'comune']);
  t.same(p.dimensions.get('ats')!.hierarchy, { name: 'territorio', level: 1 });
  t.equal(p.measures.get('beneficiari')!.additive, false, 'distinct counts are not additive');
  t.equal(p.measures.get('importo')!.additive, true);
  const eta = p.dimensions.get('fascia_eta')!;
  t.equal(eta.key.kind, 'bands');
  t.equal(eta.ordered, true);
  // The shared band keeps its ranges; each cube computes it from its own column.
  t.same(eta.key.kind === 'bands' && eta.key.column, 'eta');
});

t.test('a wrong type is reported with file, line, column and path', async (t) => {
  const bad = `kind: cube
name: prova
label: Prova
table: prestazioni
source: prestazioni
dimensions:
  anno:
    column: anno
    type: numero
measures:
  importo:
    label: Importo
    definition: somma
    format: euro
    type: sum
    column: importo
`;
  const issues = issuesOf({ 'cubes/prova.yaml': bad });
  t.equal(issues.length, 1);
  t.match(issues[0], { file: 'cubes/prova.yaml', line: 9, column: 11, path: ['dimensions', 'anno', 'type'] });
  t.match(issues[0].message, /expected one of "integer", "string"/);
});

t.test('every error is collected, not just the first', async (t) => {
  const bad = `kind: cube
name: prova
label: Prova
table: prestazioni
source: prestazioni
dimensions:
  eta:
    colum: eta
measures:
  medio:
    label: Medio
    definition: x
    format: euro
    type: ratio
    numerator: importo
    denominator: beneficiari
`;
  const issues = issuesOf({ 'cubes/prova.yaml': bad });
  t.ok(issues.some((i) => i.line === 8 && /unknown key "colum"/.test(i.message)), 'typo in a key, at its line');
  t.equal(issues.length, 1, 'shape errors stop before reference checks of the same file');

  const refs = bad.replace('colum: eta', 'column: eta');
  const refIssues = issuesOf({ 'cubes/prova.yaml': refs });
  t.same(refIssues.map((i) => [i.line, i.path.join('.')]), [
    [15, 'measures.medio.numerator'],
    [16, 'measures.medio.denominator'],
  ]);
  t.match(refIssues[0].message, /unknown measure "importo"/);
});

t.test('YAML syntax errors name the line', async (t) => {
  const issues = issuesOf({ 'cubes/rotto.yaml': 'kind: cube\nname: [unclosed\nlabel: x\n' });
  t.ok(issues.length >= 1);
  t.equal(issues[0].file, 'cubes/rotto.yaml');
  t.match(issues[0].message, /^YAML:/);
  t.ok(issues[0].line >= 2);
});

t.test('references across files: shared dimensions, hierarchies, cross-cube ratios, bands', async (t) => {
  const cube = `kind: cube
name: c
label: C
table: t
source: s
dimensions:
  eta: { use: non_esiste }
  fascia:
    bands:
      of: eta
      ranges:
        - { key: a, label: A, to: 10 }
        - { key: b, label: B, from: 5, to: 20 }
        - { key: c, label: C, from: 21 }
hierarchies:
  h: { label: H, levels: [fascia, manca] }
measures:
  n:
    label: N
    definition: d
    format: integer
    type: count
  q:
    label: Q
    definition: d
    format: percent
    type: ratio
    numerator: n
    denominator: { cube: altro, measure: x }
`;
  const issues = issuesOf({ 'cubes/dimensioni.yaml': shared, 'cubes/c.yaml': cube });
  const byPath = Object.fromEntries(issues.map((i) => [i.path.join('.'), i]));
  t.match(byPath['dimensions.eta.use'], { line: 7, message: /unknown shared dimension "non_esiste"/ });
  t.match(byPath['dimensions.fascia.bands.ranges'], { message: /overlaps the previous band/ });
  t.match(byPath['hierarchies.h.levels.1'], { line: 16, message: /unknown dimension "manca"/ });
  t.match(byPath['measures.q.denominator'], { message: /unknown cube "altro"/ });
  t.equal(issues.length, 4);
});

t.test('the error message names file:line:col and the path', async (t) => {
  try {
    loadModel({ files: { 'cubes/x.yaml': 'kind: cube\nname: X\n' } });
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof ModelError);
    t.match((err as Error).message, /cubes\/x\.yaml:2:7 \(name\): .*lower-case/);
  }
});

t.test('the JSON Schema for editors is generated from the same zod schema and committed up to date', async (t) => {
  const { cubeFileJsonSchema } = await import('../server/model/json-schema.ts');
  const committed = JSON.parse(readFileSync('cubes/cube.schema.json', 'utf8'));
  t.same(committed, cubeFileJsonSchema(), 'run `npm run cubes:schema` after changing server/model/schema.ts');
  const cubeVariant = (committed.oneOf as { properties: Record<string, { const?: string }> }[]).find((v) => v.properties.kind.const === 'cube')!;
  t.ok(cubeVariant.properties.measures, 'cube files document their measures');
});
