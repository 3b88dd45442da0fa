/**
 * Evaluates MDX set expressions into tuples of members: names, .Children,
 * .Members, Hierarchize, DrilldownLevel, DrilldownMember, CrossJoin, unions.
 * Only member metadata is read here (scoped member lists); figures come later
 * from the query path.
 */
import { MEASURES, type OlapHierarchy, type OlapLevel } from './catalog.ts';
import type { Expr, NamePart, Pos } from './mdx/ast.ts';
import { compareOrder, measureMembers, measuresHierarchy, type MemberSource, type OlapMember } from './members.ts';
import { XmlaError } from './soap.ts';

export type Tuple = readonly OlapMember[];

type Value =
  | { kind: 'member'; member: OlapMember }
  | { kind: 'tuple'; members: Tuple }
  | { kind: 'set'; tuples: Tuple[] }
  | { kind: 'level'; hierarchy: OlapHierarchy; level: OlapLevel }
  | { kind: 'hierarchy'; hierarchy: OlapHierarchy }
  | { kind: 'scalar'; value: string | number };

export class MdxError extends XmlaError {
  constructor(message: string, pos?: Pos) {
    super(pos ? `MDX, riga ${pos.line}, colonna ${pos.column}: ${message}` : `MDX: ${message}`);
  }
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const partText = (p: NamePart) => ('keys' in p ? p.keys.map((k) => `&[${k}]`).join('') : `[${p.name}]`);

export interface EvalOptions {
  /** Members named explicitly but not listed (outside the scope or the data) are kept, built from their keys: for slicers, which the security gate then judges. */
  lenient?: boolean;
}

export class SetEvaluator {
  private readonly measuresH: OlapHierarchy;
  private readonly measures: OlapMember[];

  constructor(
    readonly members: MemberSource,
    private readonly namedSets: ReadonlyMap<string, Expr> = new Map(),
    private readonly opts: EvalOptions = {},
  ) {
    this.measuresH = measuresHierarchy(members.cube);
    this.measures = measureMembers(members.cube);
  }

  async set(e: Expr): Promise<Tuple[]> {
    return this.toSet(await this.eval(e), e.pos);
  }

  private async toSet(v: Value, pos: Pos): Promise<Tuple[]> {
    switch (v.kind) {
      case 'set':
        return v.tuples;
      case 'tuple':
        return [v.members];
      case 'member':
        return [[v.member]];
      case 'level':
        return (await this.levelMembers(v.hierarchy, v.level)).map((m) => [m]);
      case 'hierarchy':
        return [[this.defaultMember(v.hierarchy)]];
      case 'scalar':
        throw new MdxError(`atteso un set, trovato il valore ${JSON.stringify(v.value)}`, pos);
    }
  }

  private async toMember(v: Value, pos: Pos): Promise<OlapMember> {
    if (v.kind === 'member') return v.member;
    if (v.kind === 'tuple' && v.members.length === 1) return v.members[0];
    if (v.kind === 'hierarchy') return this.defaultMember(v.hierarchy);
    if (v.kind === 'set' && v.tuples.length === 1 && v.tuples[0].length === 1) return v.tuples[0][0];
    throw new MdxError('atteso un membro', pos);
  }

  private defaultMember(h: OlapHierarchy): OlapMember {
    return h === this.measuresH ? this.measures[0] : this.members.allMember(h);
  }

  private levelMembers(h: OlapHierarchy, level: OlapLevel): Promise<OlapMember[]> | OlapMember[] {
    return h === this.measuresH ? this.measures : this.members.levelMembers(level, h);
  }

  private async eval(e: Expr): Promise<Value> {
    switch (e.kind) {
      case 'name':
        return this.resolve(e.parts, e.pos);
      case 'number':
      case 'string':
        return { kind: 'scalar', value: e.value };
      case 'set': {
        const tuples: Tuple[] = [];
        for (const item of e.items) tuples.push(...(await this.set(item)));
        checkSameShape(tuples, e.pos);
        return { kind: 'set', tuples };
      }
      case 'tuple': {
        const members: OlapMember[] = [];
        for (const item of e.items) {
          const v = await this.eval(item);
          if (v.kind === 'tuple') members.push(...v.members);
          else members.push(await this.toMember(v, item.pos));
        }
        const seen = new Set<string>();
        for (const m of members) {
          if (seen.has(m.hierarchy.uniqueName)) throw new MdxError(`la gerarchia ${m.hierarchy.uniqueName} compare due volte nella tupla`, e.pos);
          seen.add(m.hierarchy.uniqueName);
        }
        return { kind: 'tuple', members };
      }
      case 'binary': {
        if (e.op === ':') return this.range(e.left, e.right, e.pos);
        const [a, b] = [await this.set(e.left), await this.set(e.right)];
        if (e.op === '*') return { kind: 'set', tuples: crossJoin(a, b, e.pos) };
        if (e.op === '+') return { kind: 'set', tuples: union([a, b], e.pos) };
        return { kind: 'set', tuples: except(a, b) };
      }
      case 'prop':
        return this.property(await this.eval(e.target), e.name, e.pos);
      case 'call':
        return this.call(e.name, e.target ? [e.target, ...e.args] : e.args, e.pos);
    }
  }

  private async property(v: Value, name: string, pos: Pos): Promise<Value> {
    switch (name) {
      case 'CHILDREN': {
        const m = await this.toMember(v, pos);
        if (m.measure) return { kind: 'set', tuples: [] };
        return { kind: 'set', tuples: (await this.members.children(m)).map((c) => [c]) };
      }
      case 'MEMBERS':
      case 'ALLMEMBERS':
        if (v.kind === 'level') return { kind: 'set', tuples: (await this.levelMembers(v.hierarchy, v.level)).map((m) => [m]) };
        if (v.kind === 'hierarchy') {
          if (v.hierarchy === this.measuresH) return { kind: 'set', tuples: this.measures.map((m) => [m]) };
          return { kind: 'set', tuples: (await this.members.hierarchyMembers(v.hierarchy)).map((m) => [m]) };
        }
        throw new MdxError(`.${name} si applica a una gerarchia o a un livello`, pos);
      case 'PARENT': {
        const m = await this.toMember(v, pos);
        const p = m.measure ? undefined : await this.members.parent(m);
        if (!p) throw new MdxError(`il membro ${m.uniqueName} non ha un genitore`, pos);
        return { kind: 'member', member: p };
      }
      case 'DEFAULTMEMBER':
      case 'ALLMEMBER':
        if (v.kind === 'hierarchy') return { kind: 'member', member: this.defaultMember(v.hierarchy) };
        throw new MdxError(`.${name} si applica a una gerarchia`, pos);
      case 'FIRSTCHILD':
      case 'LASTCHILD': {
        const kids = await this.members.children(await this.toMember(v, pos));
        const m = name === 'FIRSTCHILD' ? kids[0] : kids[kids.length - 1];
        if (!m) throw new MdxError('il membro non ha figli', pos);
        return { kind: 'member', member: m };
      }
      case 'SIBLINGS': {
        const m = await this.toMember(v, pos);
        const p = await this.members.parent(m);
        return { kind: 'set', tuples: p ? (await this.members.children(p)).map((c) => [c]) : [[m]] };
      }
      case 'LEVEL': {
        const m = await this.toMember(v, pos);
        return { kind: 'level', hierarchy: m.hierarchy, level: m.hierarchy.levels[m.depth] };
      }
      case 'HIERARCHY':
      case 'DIMENSION':
        if (v.kind === 'level' || v.kind === 'hierarchy') return { kind: 'hierarchy', hierarchy: v.hierarchy };
        return { kind: 'hierarchy', hierarchy: (await this.toMember(v, pos)).hierarchy };
      default:
        throw new MdxError(`la funzione .${name} non è supportata da questo server`, pos);
    }
  }

  private async call(name: string, args: readonly (Expr | null)[], pos: Pos): Promise<Value> {
    const arg = (i: number) => {
      const a = args[i];
      if (!a) throw new MdxError(`${name}: manca l'argomento ${i + 1}`, pos);
      return a;
    };
    const setArg = (i: number) => this.set(arg(i));
    const flag = (i: number) => {
      const a = args[i];
      return a && a.kind === 'name' && a.parts.length === 1 && 'name' in a.parts[0] ? a.parts[0].name.toUpperCase() : undefined;
    };
    switch (name) {
      case 'HIERARCHIZE':
        return { kind: 'set', tuples: hierarchize(await setArg(0), flag(1) === 'POST') };
      case 'CROSSJOIN':
      case 'NONEMPTYCROSSJOIN': {
        let out = await setArg(0);
        for (let i = 1; i < args.length; i++) out = crossJoin(out, await setArg(i), pos);
        return { kind: 'set', tuples: out };
      }
      case 'UNION': {
        const sets: Tuple[][] = [];
        for (let i = 0; i < args.length; i++) if (args[i] && flag(i) !== 'ALL') sets.push(await setArg(i));
        return { kind: 'set', tuples: union(sets, pos) };
      }
      case 'EXCEPT':
        return { kind: 'set', tuples: except(await setArg(0), await setArg(1)) };
      case 'DISTINCT':
        return { kind: 'set', tuples: union([await setArg(0)], pos) };
      case 'ADDCALCULATEDMEMBERS':
      case 'STRIPCALCULATEDMEMBERS':
      case 'VISUALTOTALS':
        // No calculated members; totals are always the server's own.
        return { kind: 'set', tuples: await setArg(0) };
      case 'DRILLDOWNLEVEL':
        return { kind: 'set', tuples: await this.drilldownLevel(await setArg(0), args[1] ? await this.eval(args[1]) : undefined, args[2] ? await this.eval(args[2]) : undefined, pos) };
      case 'DRILLDOWNMEMBER':
        return { kind: 'set', tuples: await this.drilldownMember(await setArg(0), await setArg(1), flag(2) === 'RECURSIVE') };
      case 'DESCENDANTS':
        return { kind: 'set', tuples: await this.descendants(await this.toMember(await this.eval(arg(0)), pos), args[1] ? await this.eval(args[1]) : undefined, flag(2), pos) };
      case 'MEMBERS':
        return this.property(await this.eval(arg(0)), 'MEMBERS', pos);
      case 'HEAD':
      case 'TAIL': {
        const s = await setArg(0);
        const count = args[1] ? await this.eval(args[1]) : undefined;
        if (count && count.kind !== 'scalar') throw new MdxError(`${name}: il secondo argomento deve essere un numero`, pos);
        const n = count ? Number(count.value) : 1;
        return { kind: 'set', tuples: name === 'HEAD' ? s.slice(0, n) : s.slice(Math.max(0, s.length - n)) };
      }
      default:
        throw new MdxError(`la funzione ${name} non è supportata da questo server (funzioni supportate: Hierarchize, DrilldownLevel, DrilldownMember, CrossJoin, Union, Except, Distinct, Descendants, Head, Tail, AddCalculatedMembers, .Children, .Members, .AllMembers, .Parent)`, pos);
    }
  }

  /** Which tuple position to drill: the `index` argument, or the hierarchy of `level`, or 0. */
  private async drilldownLevel(set: Tuple[], levelArg: Value | undefined, indexArg: Value | undefined, pos: Pos): Promise<Tuple[]> {
    if (set.length === 0) return set;
    let index = indexArg?.kind === 'scalar' ? Number(indexArg.value) : 0;
    let depth: number | undefined;
    if (levelArg) {
      if (levelArg.kind !== 'level') throw new MdxError('DrilldownLevel: il secondo argomento deve essere un livello', pos);
      index = set[0].findIndex((m) => m.hierarchy.uniqueName === levelArg.hierarchy.uniqueName);
      if (index < 0) throw new MdxError(`DrilldownLevel: il livello ${levelArg.level.uniqueName} non è nel set`, pos);
      depth = levelArg.level.depth;
    }
    depth ??= Math.max(...set.map((t) => t[index].depth));
    const out: Tuple[] = [];
    for (const t of set) {
      out.push(t);
      const m = t[index];
      if (m.depth !== depth || m.measure) continue;
      for (const c of await this.members.children(m)) out.push(t.map((x, i) => (i === index ? c : x)));
    }
    return out;
  }

  private async drilldownMember(set: Tuple[], targets: Tuple[], recursive: boolean): Promise<Tuple[]> {
    const wanted = new Set(targets.flat().map((m) => m.uniqueName));
    const out: Tuple[] = [];
    const visit = async (t: Tuple) => {
      out.push(t);
      const i = t.findIndex((m) => wanted.has(m.uniqueName) && !m.measure);
      if (i < 0) return;
      for (const c of await this.members.children(t[i])) {
        const child = t.map((x, j) => (j === i ? c : x));
        if (recursive) await visit(child);
        else out.push(child);
      }
    };
    for (const t of set) await visit(t);
    return out;
  }

  private async descendants(m: OlapMember, levelArg: Value | undefined, flag: string | undefined, pos: Pos): Promise<Tuple[]> {
    const h = m.hierarchy;
    let depth = m.depth;
    if (levelArg?.kind === 'level') depth = levelArg.level.depth;
    else if (levelArg?.kind === 'scalar') depth = m.depth + Number(levelArg.value);
    else if (levelArg) throw new MdxError('Descendants: il secondo argomento deve essere un livello o una distanza', pos);
    const all = (await this.members.hierarchyMembers(h)).filter((x) => x.depth >= m.depth && m.path.every((k, i) => String(k) === String(x.path[i])));
    const mode = flag ?? 'SELF';
    const keep = (x: OlapMember) =>
      mode === 'SELF' ? x.depth === depth
      : mode === 'AFTER' ? x.depth > depth
      : mode === 'BEFORE' ? x.depth < depth
      : mode === 'SELF_AND_AFTER' ? x.depth >= depth
      : mode === 'SELF_AND_BEFORE' ? x.depth <= depth
      : mode === 'SELF_BEFORE_AFTER' ? true
      : mode === 'LEAVES' ? x.depth === h.levels.length - 1
      : false;
    return all.filter(keep).map((x) => [x]);
  }

  private async range(l: Expr, r: Expr, pos: Pos): Promise<Value> {
    const a = await this.toMember(await this.eval(l), l.pos);
    const b = await this.toMember(await this.eval(r), r.pos);
    if (a.hierarchy !== b.hierarchy || a.depth !== b.depth) throw new MdxError('un intervallo a:b richiede due membri dello stesso livello', pos);
    const list = await this.levelMembers(a.hierarchy, a.hierarchy.levels[a.depth]);
    const [i, j] = [list.findIndex((m) => m.uniqueName === a.uniqueName), list.findIndex((m) => m.uniqueName === b.uniqueName)];
    return { kind: 'set', tuples: list.slice(Math.min(i, j), Math.max(i, j) + 1).map((m) => [m]) };
  }

  /** Resolves a compound name to a hierarchy, level, member or named set. */
  private async resolve(parts: readonly NamePart[], pos: Pos): Promise<Value> {
    const text = parts.map(partText).join('.');
    const first = parts[0];
    if ('keys' in first) throw new MdxError(`nome non valido: ${text}`, pos);
    const named = [...this.namedSets.entries()].find(([n]) => same(n, first.name));
    if (named && parts.length === 1) return { kind: 'set', tuples: await this.set(named[1]) };
    if (same(first.name, MEASURES)) {
      if (parts.length === 1) return { kind: 'hierarchy', hierarchy: this.measuresH };
      const p = parts[1];
      const m = 'name' in p ? this.measures.find((x) => same(x.measure!.name, p.name) || same(x.caption, p.name)) : undefined;
      if (parts.length === 2 && m) return { kind: 'member', member: m };
      if (parts.length === 2 && 'name' in p && same(p.name, 'MeasuresLevel')) return { kind: 'level', hierarchy: this.measuresH, level: this.measuresH.levels[0] };
      throw new MdxError(`la misura ${text} non esiste nel cubo ${this.members.cube.name}. Misure: ${this.measures.map((x) => x.uniqueName).join(', ')}`, pos);
    }
    const h = this.members.cube.hierarchies.find((x) => same(x.name, first.name));
    if (!h) throw new MdxError(`${text}: la gerarchia ${partText(first)} non esiste nel cubo ${this.members.cube.name}. Gerarchie: ${this.members.cube.hierarchies.map((x) => x.uniqueName).join(', ')}`, pos);
    let i = 1;
    if (parts[i] && 'name' in parts[i] && same((parts[i] as { name: string }).name, h.name)) i++;
    if (i === parts.length) return { kind: 'hierarchy', hierarchy: h };
    const p = parts[i];
    if ('name' in p) {
      const level = h.levels.find((l) => same(l.name, p.name));
      if (level && i === parts.length - 1) return { kind: 'level', hierarchy: h, level };
      if (level) {
        const keyPart = parts[i + 1];
        if (i + 2 !== parts.length || !('keys' in keyPart)) throw new MdxError(`${text}: dopo il livello ci si aspetta la chiave del membro (&[…])`, pos);
        return { kind: 'member', member: await this.memberByKeys(h, level.depth, keyPart.keys, text, pos) };
      }
      if (same(p.name, 'All') || same(p.name, `Tutti (${h.caption})`)) {
        let m = this.members.allMember(h);
        for (const q of parts.slice(i + 1)) m = await this.childByName(m, q, text, pos);
        return { kind: 'member', member: m };
      }
      // A member named by caption or key under All: [anno].[2023].
      let m = this.members.allMember(h);
      for (const q of parts.slice(i)) m = await this.childByName(m, q, text, pos);
      return { kind: 'member', member: m };
    }
    // [h].&[k]: a member by key on any level.
    if (i !== parts.length - 1) throw new MdxError(`nome non valido: ${text}`, pos);
    for (const level of h.levels.slice(1)) {
      if (p.keys.length !== 1 && p.keys.length !== level.depth) continue;
      const m = await this.members.find(h, level.depth, p.keys);
      if (m) return { kind: 'member', member: m };
    }
    if (h.levels.length === 2) return { kind: 'member', member: await this.memberByKeys(h, 1, p.keys, text, pos) };
    throw new MdxError(`il membro ${text} non esiste o è fuori dall'ambito del profilo`, pos);
  }

  private async memberByKeys(h: OlapHierarchy, depth: number, keys: readonly string[], text: string, pos: Pos): Promise<OlapMember> {
    const found = await this.members.find(h, depth, keys);
    if (found) return found;
    if (this.opts.lenient && keys.length === depth) {
      // Left to the security gate: the filter it becomes is refused there if outside the scope.
      const path = keys.map((k, i) => (h.levels[i + 1].dimension!.type === 'integer' && /^-?\d+$/.test(k) ? Number(k) : k));
      return { hierarchy: h, depth, path, caption: keys[keys.length - 1], uniqueName: text, order: [] };
    }
    if (this.opts.lenient && keys.length === 1 && depth >= 1) {
      return { hierarchy: h, depth, path: [...Array(depth - 1).fill(undefined), keys[0]], caption: keys[0], uniqueName: text, order: [] };
    }
    throw new MdxError(`il membro ${text} non esiste o è fuori dall'ambito del profilo`, pos);
  }

  private async childByName(m: OlapMember, part: NamePart, text: string, pos: Pos): Promise<OlapMember> {
    const kids = await this.members.children(m);
    const found = 'keys' in part ? kids.find((c) => String(c.path[c.path.length - 1]) === part.keys[part.keys.length - 1]) : kids.find((c) => same(c.caption, part.name) || same(String(c.path[c.path.length - 1]), part.name));
    if (!found) throw new MdxError(`il membro ${text} non esiste o è fuori dall'ambito del profilo`, pos);
    return found;
  }
}

function checkSameShape(tuples: readonly Tuple[], pos: Pos): void {
  if (tuples.length === 0) return;
  const shape = tuples[0].map((m) => m.hierarchy.uniqueName).join();
  for (const t of tuples)
    if (t.map((m) => m.hierarchy.uniqueName).join() !== shape) throw new MdxError(`le tuple di un set devono avere le stesse gerarchie nello stesso ordine (${shape} e ${t.map((m) => m.hierarchy.uniqueName).join()})`, pos);
}

export function crossJoin(a: readonly Tuple[], b: readonly Tuple[], pos: Pos): Tuple[] {
  if (a.length && b.length) {
    const ha = new Set(a[0].map((m) => m.hierarchy.uniqueName));
    const dup = b[0].find((m) => ha.has(m.hierarchy.uniqueName));
    if (dup) throw new MdxError(`CrossJoin: la gerarchia ${dup.hierarchy.uniqueName} compare in entrambi i set`, pos);
  }
  const out: Tuple[] = [];
  for (const x of a) for (const y of b) out.push([...x, ...y]);
  return out;
}

const tupleKey = (t: Tuple) => t.map((m) => m.uniqueName).join('\u0000');

function union(sets: readonly Tuple[][], pos: Pos): Tuple[] {
  const seen = new Set<string>();
  const out: Tuple[] = [];
  for (const s of sets) for (const t of s) if (!seen.has(tupleKey(t)) && seen.add(tupleKey(t))) out.push(t);
  checkSameShape(out, pos);
  return out;
}

function except(a: readonly Tuple[], b: readonly Tuple[]): Tuple[] {
  const drop = new Set(b.map(tupleKey));
  return a.filter((t) => !drop.has(tupleKey(t)));
}

/** Natural order, tuple member by member; parents before children (after with POST). */
export function hierarchize(set: readonly Tuple[], post = false): Tuple[] {
  const cmp = (x: readonly number[], y: readonly number[]) => {
    const c = compareOrder(x, y);
    if (!post) return c;
    const n = Math.min(x.length, y.length);
    return x.slice(0, n).every((v, i) => v === y[i]) && x.length !== y.length ? y.length - x.length : c;
  };
  return set
    .map((t, i) => ({ t, i }))
    .sort((a, b) => {
      for (let k = 0; k < a.t.length; k++) {
        const c = cmp(a.t[k].order, b.t[k].order);
        if (c !== 0) return c;
      }
      return a.i - b.i;
    })
    .map((x) => x.t);
}
