/** `npm run cubes:schema [-- --out cubes/cube.schema.json]`: writes the JSON Schema of the cube file format. */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cubeFileJsonSchema } from '../model/json-schema.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'cubes/cube.schema.json' } } });
writeFileSync(values.out!, JSON.stringify(cubeFileJsonSchema(), null, 2) + '\n');
console.log(`JSON Schema scritto in ${values.out}`);
