/**
 * Recursive-descent parser for the MDX that Excel PivotTables, CUBE formulas
 * and olap4j send (SELECT with axes, sub-selects, WHERE, WITH SET, DIMENSION
 * and CELL PROPERTIES) and for $system DMV queries. Errors name line and column.
 */
import type { Axis, CubeRef, DmvQuery, Expr, NamePart, Pos, Select, Statement } from './ast.ts';
import { MdxSyntaxError, tokenize, type Token } from './lexer.ts';

const AXIS_NAMES = ['COLUMNS', 'ROWS', 'PAGES', 'SECTIONS', 'CHAPTERS'];
/** `.X` after a name that is a function of it, not a part of the name. */
const PROPERTIES = new Set(['CHILDREN', 'MEMBERS', 'ALLMEMBERS', 'PARENT', 'FIRSTCHILD', 'LASTCHILD', 'LEVEL', 'HIERARCHY', 'DIMENSION', 'DEFAULTMEMBER', 'SIBLINGS', 'CURRENTMEMBER', 'UNIQUENAME', 'NAME', 'ALLMEMBER', 'PREVMEMBER', 'NEXTMEMBER', 'FIRSTSIBLING', 'LASTSIBLING', 'LEVELS', 'ORDINAL', 'VALUE', 'CAPTION', 'MEMBER_CAPTION']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private get t(): Token {
    return this.tokens[this.i];
  }
  private pos(t: Token = this.t): Pos {
    return { line: t.line, column: t.column };
  }
  private describe(t: Token): string {
    if (t.kind === 'eof') return 'la fine del testo';
    if (t.kind === 'bracket') return `[${t.value}]`;
    if (t.kind === 'string') return `'${t.value}'`;
    return `"${t.value}"`;
  }
  fail(expected: string, t: Token = this.t): never {
    throw new MdxSyntaxError(`atteso ${expected}, trovato ${this.describe(t)}`, t.line, t.column);
  }
  private isKw(word: string, t: Token = this.t): boolean {
    return t.kind === 'ident' && t.value.toUpperCase() === word;
  }
  private isSym(sym: string, t: Token = this.t): boolean {
    return t.kind === 'symbol' && t.value === sym;
  }
  private kw(word: string): Token {
    if (!this.isKw(word)) this.fail(word);
    return this.tokens[this.i++];
  }
  private sym(sym: string): Token {
    if (!this.isSym(sym)) this.fail(`"${sym}"`);
    return this.tokens[this.i++];
  }
  private eatSym(sym: string): boolean {
    if (!this.isSym(sym)) return false;
    this.i++;
    return true;
  }
  private eatKw(word: string): boolean {
    if (!this.isKw(word)) return false;
    this.i++;
    return true;
  }

  statement(): Statement {
    let st: Statement;
    if (this.isKw('SELECT') && this.isDmv()) st = this.dmv();
    else st = this.select(true);
    this.eatSym(';');
    if (this.t.kind !== 'eof') this.fail('la fine dell\'istruzione');
    return st;
  }

  private isDmv(): boolean {
    // SELECT <columns> FROM $system.X
    let j = this.i;
    while (j < this.tokens.length && !this.isKw('FROM', this.tokens[j])) j++;
    const next = this.tokens[j + 1];
    return !!next && (next.kind === 'ident' || next.kind === 'bracket') && next.value.toLowerCase() === '$system';
  }

  private dmv(): DmvQuery {
    this.kw('SELECT');
    let columns: string[] | '*' = [];
    if (this.eatSym('*')) columns = '*';
    else
      do columns.push(this.identifier('il nome di una colonna'));
      while (this.eatSym(','));
    this.kw('FROM');
    this.i++; // $system
    this.sym('.');
    const rowset = this.identifier('il nome di un rowset (es. MDSCHEMA_CUBES)').toUpperCase();
    const where: Record<string, string[]> = {};
    if (this.eatKw('WHERE')) {
      do {
        const col = this.identifier('il nome di una colonna').toUpperCase();
        this.sym('=');
        const v = this.t;
        if (v.kind !== 'string' && v.kind !== 'number') this.fail('un valore tra apici');
        this.i++;
        (where[col] ??= []).push(v.value);
      } while (this.eatKw('AND'));
    }
    if (this.eatKw('ORDER')) {
      this.kw('BY');
      do {
        this.identifier('una colonna');
        this.eatKw('ASC') || this.eatKw('DESC');
      } while (this.eatSym(','));
    }
    return { kind: 'dmv', rowset, columns, where };
  }

  private identifier(what: string): string {
    const t = this.t;
    if (t.kind !== 'ident' && t.kind !== 'bracket') this.fail(what);
    this.i++;
    return t.value;
  }

  private select(top: boolean): Select {
    const withSets: { name: string; expr: Expr }[] = [];
    if (top && this.eatKw('WITH')) {
      while (this.isKw('SET') || this.isKw('MEMBER')) {
        const t = this.t;
        if (this.isKw('MEMBER'))
          throw new MdxSyntaxError('i membri calcolati (WITH MEMBER) non sono supportati: usare le misure del cubo, che includono già i rapporti', t.line, t.column);
        this.i++;
        const name = this.identifier('il nome del set');
        this.kw('AS');
        const e = this.t;
        const expr = e.kind === 'string' ? (this.i++, parseExpression(e.value, e)) : this.expr();
        withSets.push({ name, expr });
      }
    }
    this.kw('SELECT');
    const axes: Axis[] = [];
    if (!this.isKw('FROM'))
      do axes.push(this.axis(axes.length));
      while (this.eatSym(','));
    this.kw('FROM');
    const from = this.cubeRef();
    let where: Expr | undefined;
    if (this.eatKw('WHERE')) where = this.expr();
    let cellProperties: string[] | undefined;
    if (top && (this.isKw('CELL') || this.isKw('PROPERTIES'))) {
      this.eatKw('CELL');
      this.kw('PROPERTIES');
      cellProperties = [];
      do cellProperties.push(this.identifier('il nome di una proprietà di cella').toUpperCase());
      while (this.eatSym(','));
    }
    return { kind: 'select', withSets, axes, from, where, cellProperties };
  }

  private cubeRef(): CubeRef {
    if (this.isSym('(')) {
      this.i++;
      const select = this.select(false);
      this.sym(')');
      return { kind: 'subselect', select };
    }
    const pos = this.pos();
    return { kind: 'cube', name: this.identifier('il nome del cubo'), pos };
  }

  private axis(index: number): Axis {
    const pos = this.pos();
    let nonEmpty = false;
    if (this.isKw('NON')) {
      this.i++;
      this.kw('EMPTY');
      nonEmpty = true;
    }
    const set = this.expr();
    const properties: string[] = [];
    if (this.isKw('DIMENSION') || this.isKw('PROPERTIES')) {
      this.eatKw('DIMENSION');
      this.kw('PROPERTIES');
      do {
        // A property may be qualified ([territorio].[territorio].[comune].[X]): its last part names it.
        let name = this.identifier('il nome di una proprietà');
        while (this.eatSym('.')) name = this.identifier('il nome di una proprietà');
        properties.push(name.toUpperCase());
      } while (this.eatSym(','));
    }
    this.kw('ON');
    let ordinal: number;
    const t = this.t;
    if (t.kind === 'number') {
      ordinal = Number(t.value);
      this.i++;
    } else if (this.eatKw('AXIS')) {
      this.sym('(');
      const n = this.t;
      if (n.kind !== 'number') this.fail('il numero dell\'asse');
      this.i++;
      this.sym(')');
      ordinal = Number(n.value);
    } else {
      ordinal = AXIS_NAMES.indexOf(t.kind === 'ident' ? t.value.toUpperCase() : '');
      if (ordinal < 0) this.fail('COLUMNS, ROWS, PAGES o un numero di asse');
      this.i++;
    }
    if (ordinal !== index) throw new MdxSyntaxError(`gli assi vanno elencati in ordine: atteso l'asse ${index}, trovato l'asse ${ordinal}`, pos.line, pos.column);
    return { nonEmpty, set, properties, ordinal, pos };
  }

  expr(): Expr {
    let left = this.term();
    for (;;) {
      const t = this.t;
      if (t.kind === 'symbol' && (t.value === '*' || t.value === '+' || t.value === '-' || t.value === ':')) {
        this.i++;
        left = { kind: 'binary', op: t.value, left, right: this.term(), pos: this.pos(t) };
      } else return left;
    }
  }

  private term(): Expr {
    let e = this.primary();
    while (this.isSym('.')) {
      const dot = this.t;
      this.i++;
      const t = this.t;
      if (t.kind === 'key') {
        e = this.appendPart(e, { keys: this.keys() }, dot);
      } else if (t.kind === 'bracket') {
        this.i++;
        e = this.appendPart(e, { name: t.value }, dot);
      } else if (t.kind === 'ident') {
        this.i++;
        if (this.isSym('(')) e = { kind: 'call', name: t.value.toUpperCase(), args: this.args(), pos: this.pos(t), target: e };
        else if (PROPERTIES.has(t.value.toUpperCase())) e = { kind: 'prop', target: e, name: t.value.toUpperCase(), pos: this.pos(t) };
        else e = this.appendPart(e, { name: t.value }, dot);
      } else this.fail('un nome dopo "."');
    }
    return e;
  }

  private appendPart(e: Expr, part: NamePart, at: Token): Expr {
    if (e.kind !== 'name') throw new MdxSyntaxError('un nome composto può seguire solo un altro nome', at.line, at.column);
    return { ...e, parts: [...e.parts, part] };
  }

  private keys(): string[] {
    const keys: string[] = [];
    while (this.t.kind === 'key') keys.push(this.tokens[this.i++].value);
    return keys;
  }

  private args(): (Expr | null)[] {
    this.sym('(');
    const args: (Expr | null)[] = [];
    if (this.eatSym(')')) return args;
    for (;;) {
      args.push(this.isSym(',') || this.isSym(')') ? null : this.expr());
      if (this.eatSym(')')) return args;
      this.sym(',');
    }
  }

  private primary(): Expr {
    const t = this.t;
    const pos = this.pos(t);
    if (this.eatSym('{')) {
      const items: Expr[] = [];
      if (!this.isSym('}'))
        do items.push(this.expr());
        while (this.eatSym(','));
      this.sym('}');
      return { kind: 'set', items, pos };
    }
    if (this.eatSym('(')) {
      const items: Expr[] = [];
      do items.push(this.expr());
      while (this.eatSym(','));
      this.sym(')');
      return items.length === 1 && items[0].kind !== 'name' ? items[0] : { kind: 'tuple', items, pos };
    }
    if (t.kind === 'number') {
      this.i++;
      return { kind: 'number', value: Number(t.value), pos };
    }
    if (this.isSym('-') && this.tokens[this.i + 1].kind === 'number') {
      this.i++;
      return { kind: 'number', value: -Number(this.tokens[this.i++].value), pos };
    }
    if (t.kind === 'string') {
      this.i++;
      return { kind: 'string', value: t.value, pos };
    }
    if (t.kind === 'key') return { kind: 'name', parts: [{ keys: this.keys() }], pos };
    if (t.kind === 'ident' || t.kind === 'bracket') {
      this.i++;
      if (t.kind === 'ident' && this.isSym('(')) return { kind: 'call', name: t.value.toUpperCase(), args: this.args(), pos };
      return { kind: 'name', parts: [{ name: t.value }], pos };
    }
    return this.fail('un set, una tupla, un membro o una funzione');
  }
}

export function parseMdx(text: string): Statement {
  return new Parser(tokenize(text)).statement();
}

/** An expression given as a string (WITH SET x AS '…'): positions are reported relative to the string's own start. */
function parseExpression(text: string, at: Token): Expr {
  try {
    const p = new Parser(tokenize(text));
    return p.expr();
  } catch (err) {
    if (err instanceof MdxSyntaxError) throw new MdxSyntaxError(`nella definizione tra apici: ${err.message}`, at.line, at.column);
    throw err;
  }
}
