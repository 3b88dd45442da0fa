/** The query context the server, the benchmark and the tests share: engine, model, territory directory, label cache, data status, result cache. */
import { randomBytes } from 'node:crypto';
import { dataInfo } from './data/bootstrap.ts';
import type { Engine } from './engine/client.ts';
import type { Model } from './model/types.ts';
import type { ResultCache } from './query/cache.ts';
import type { DataStatus, QueryContext } from './query/execute.ts';
import { createLabelCache } from './query/labels.ts';
import { rowReader } from './query/read.ts';
import { Directory } from './security/directory.ts';

const processSecret = randomBytes(32).toString('base64url');

/**
 * Without `cellKeySecret` (tools, some tests) the record keys come from a random secret of this
 * process: consistent while it runs, different after a restart. The server always passes the
 * installation's stable secret.
 */
export async function createQueryContext(engine: Engine, model: Model, opts: { nationalExemptFromDisclosure?: boolean; cellKeySecret?: string; cache?: ResultCache } = {}): Promise<QueryContext> {
  // Read once: the data change only through a restart (demo generation) for now.
  let status: Promise<DataStatus> | undefined;
  return {
    engine,
    model,
    directory: await Directory.load(rowReader(engine)),
    labels: createLabelCache(engine),
    nationalExemptFromDisclosure: opts.nationalExemptFromDisclosure ?? false,
    ...(opts.cache ? { cache: opts.cache } : {}),
    cellKeySecret: opts.cellKeySecret ?? processSecret,
    dataStatus: () => (status ??= dataInfo(engine).then((i) => ({ demo: i.demo, sources: i.sources, versions: i.versions, generated: Object.fromEntries(Object.entries(i.details).map(([s, d]) => [s, d.generated])) }))),
  };
}
