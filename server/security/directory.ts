/**
 * The territory tree (Italia > Regione > ATS > Comune) and the providers
 * (enti erogatori) with their seats, in memory, read once from the reference
 * tables: the scope rewrite checks codes against it without a round trip.
 */
import { selectFrom, type RowReader } from '../plan/select.ts';
import { systemRead } from './gate.ts';
import type { Level } from './profiles.ts';

export interface Place {
  readonly level: Level;
  readonly code: string;
  readonly name: string;
  readonly regione: string;
  /** For a comune, its ATS. */
  readonly ats?: string;
}

export interface Provider {
  readonly code: string;
  readonly name: string;
  readonly type: string;
  /** The territory of its legal seat: a comune for a Comune, an ATS for an ATS, a Regione for other bodies; none (Italia) for INPS. */
  readonly seat?: Place;
}

interface TerritoryRow {
  comune: string;
  comune_nome: string;
  ats: string;
  ats_nome: string;
  regione: string;
  regione_nome: string;
}
interface ProviderRow {
  ente: string;
  ente_nome: string;
  ente_tipo: string;
  sede_comune: string;
  sede_ats: string;
  sede_regione: string;
}

export class Directory {
  private readonly places = new Map<string, Place>();
  private readonly providers = new Map<string, Provider>();
  /** `within` answers, by scope and level: the directory never changes once loaded. */
  private readonly inside = new Map<string, readonly string[]>();

  constructor(territory: readonly TerritoryRow[], providers: readonly ProviderRow[]) {
    for (const r of territory) {
      this.places.set(key('regione', r.regione), { level: 'regione', code: r.regione, name: r.regione_nome, regione: r.regione });
      this.places.set(key('ats', r.ats), { level: 'ats', code: r.ats, name: r.ats_nome, regione: r.regione });
      this.places.set(key('comune', r.comune), { level: 'comune', code: r.comune, name: r.comune_nome, regione: r.regione, ats: r.ats });
    }
    for (const p of providers) {
      const seat =
        p.ente_tipo === 'inps' ? undefined
        : p.ente_tipo === 'ats' ? this.find('ats', p.sede_ats)
        : p.ente_tipo === 'comune' ? this.find('comune', p.sede_comune)
        : this.find('regione', p.sede_regione);
      this.providers.set(p.ente, { code: p.ente, name: p.ente_nome, type: p.ente_tipo, seat });
    }
  }

  /** System reads of the two reference tables (the directory is what scopes every principal's reads). */
  static async load(read: RowReader): Promise<Directory> {
    const [territory, providers] = await Promise.all([
      read<TerritoryRow>(systemRead(selectFrom('territorio', ['comune', 'comune_nome', 'ats', 'ats_nome', 'regione', 'regione_nome']))),
      read<ProviderRow>(systemRead(selectFrom('enti', ['ente', 'ente_nome', 'ente_tipo', 'sede_comune', 'sede_ats', 'sede_regione']))),
    ]);
    return new Directory(territory, providers);
  }

  /** Exact lookup: codes are case- and space-sensitive, as ISTAT publishes them. */
  find(level: Level, code: string): Place | undefined {
    return this.places.get(key(level, code));
  }

  provider(code: string): Provider | undefined {
    return this.providers.get(code);
  }

  /** Every provider, in code order. */
  allProviders(): Provider[] {
    return [...this.providers.values()].sort((a, b) => a.code.localeCompare(b.code));
  }

  /** True when `place` is `scope` or lies inside it. */
  contains(scope: Place, place: Place): boolean {
    if (scope.level === 'regione') return place.regione === scope.code;
    if (scope.level === 'ats') return (place.level === 'ats' && place.code === scope.code) || (place.level === 'comune' && place.ats === scope.code);
    return place.level === 'comune' && place.code === scope.code;
  }

  /** Every place of a level, in code order. */
  all(level: Level): Place[] {
    return [...this.places.values()].filter((p) => p.level === level).sort((a, b) => a.code.localeCompare(b.code));
  }

  /** Codes of the places of `level` that lie in `scope` (computed once per scope and level: a benchmark asks on every request). */
  within(scope: Place, level: Level): readonly string[] {
    const id = `${key(scope.level, scope.code)}>${level}`;
    let codes = this.inside.get(id);
    if (!codes) this.inside.set(id, (codes = [...this.places.values()].filter((p) => p.level === level && this.contains(scope, p)).map((p) => p.code)));
    return codes;
  }

  /** The place above `place` at `level` (a place is its own ancestor at its level); undefined below it. */
  ancestor(place: Place, level: Level): Place | undefined {
    if (level === place.level) return place;
    if (level === 'regione') return this.find('regione', place.regione);
    if (level === 'ats' && place.ats) return this.find('ats', place.ats);
    return undefined;
  }
}

const key = (level: Level, code: string) => `${level}:${code}`;
