/** The ETag of an answer changes with everything that changes the published figures, the cell key secret included. */
import t from 'tap';
import type { FastifyRequest } from 'fastify';
import { answerEtag } from '../server/http/etag.ts';
import { loadModel } from '../server/model/load.ts';
import type { QueryContext } from '../server/query/execute.ts';

const model = loadModel({ dir: 'cubes' });
const context = (cellKeySecret: string) =>
  ({ model, cellKeySecret, nationalExemptFromDisclosure: false, dataStatus: async () => ({ demo: true, sources: {}, versions: { prestazioni: '7' }, generated: {} }) }) as unknown as QueryContext;
const request = { method: 'POST', url: '/v1/cubes/prestazioni/query', body: { measures: ['beneficiari'] }, headers: {} } as unknown as FastifyRequest;
const ats = { id: 'x', profile: 'ats', scope: 'ATS12001' } as const;

t.test('same inputs, same tag; another secret or another scope, another tag', async (t) => {
  const a = await answerEtag(context('secret-one-of-at-least-32-characters!!'), ats, request);
  t.equal(await answerEtag(context('secret-one-of-at-least-32-characters!!'), ats, request), a, 'stable');
  t.not(await answerEtag(context('secret-two-of-at-least-32-characters!!'), ats, request), a, 'a new cell key secret changes every figure, so the tag');
  t.not(await answerEtag(context('secret-one-of-at-least-32-characters!!'), { ...ats, scope: 'ATS12002' }, request), a, 'another scope');
  t.notMatch(a, /secret/, 'the tag is a digest');
});
