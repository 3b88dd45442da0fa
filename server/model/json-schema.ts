/** JSON Schema of the cube file format, for editors (YAML language server: `# yaml-language-server: $schema=...`). */
import { z } from 'zod';
import { ModelFileSchema } from './schema.ts';

export function cubeFileJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ModelFileSchema, { target: 'draft-2020-12', io: 'input' }),
    title: 'PAS cube model file',
    description: 'A cube (kind: cube) or a library of shared dimensions (kind: dimensions). See docs/cubes.md.',
  };
}
