/**
 * `npm run ptable -- --D 3 --V 1.5 [--js 2]`: prints the p-table of the cell key method
 * (docs/riservatezza.md). `--cube prestazioni` prints the one a cube declares.
 */
import { parseArgs } from 'node:util';
import { loadModel } from '../model/load.ts';
import { buildPTable, formatPTable, ptableProblem, type PTableParams } from '../security/ptable.ts';

const { values } = parseArgs({ options: { D: { type: 'string' }, V: { type: 'string' }, js: { type: 'string', default: '2' }, cube: { type: 'string' }, dir: { type: 'string', default: 'cubes' } } });

let params: PTableParams;
if (values.cube) {
  const cube = loadModel({ dir: values.dir! }).cubes.get(values.cube);
  if (!cube?.disclosure) {
    console.error(`Il cubo "${values.cube}" non esiste o non ha un blocco disclosure.`);
    process.exit(2);
  }
  params = { D: cube.disclosure.noise.max, V: cube.disclosure.noise.variance, js: cube.disclosure.threshold - 1 };
} else {
  params = { D: Number(values.D ?? 3), V: Number(values.V ?? 1.5), js: Number(values.js) };
}
const problem = ptableProblem(params);
if (problem) {
  console.error(`Parametri non validi: ${problem}.`);
  process.exit(2);
}
console.log(formatPTable(buildPTable(params)));
