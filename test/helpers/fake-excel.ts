/**
 * A fake of the part of the Excel JavaScript API object model the add-in
 * uses, faithful in the ways that bite: proxy objects whose properties can be
 * read only after load() and sync(); writes applied at sync(); values and
 * number formats whose shape must match the range; duplicate sheet names
 * refused; settings persisted with the workbook; null objects.
 * There is no Excel on these machines: this is what the add-in is tested against.
 */
import { columnIndex, columnName } from '../../addin/src/blocks.ts';

interface CellData {
  value: unknown;
  numberFormat: string;
  bold: boolean;
  color: string;
}

export class FakeWorkbook {
  readonly sheets = new Map<string, Map<string, CellData>>();
  readonly settings = new Map<string, unknown>();
  readonly tables: { sheet: string; address: string }[] = [];
  readonly charts: { sheet: string; type: string; address: string; title: string; name: string }[] = [];
  selection = { sheet: 'Foglio1', address: 'A1' };
  active = 'Foglio1';
  syncs = 0;

  constructor(sheetNames = ['Foglio1']) {
    for (const n of sheetNames) this.sheets.set(n, new Map());
  }

  cell(sheet: string, a1: string): CellData | undefined {
    return this.sheets.get(sheet)?.get(norm(a1));
  }
  value(sheet: string, a1: string): unknown {
    return this.cell(sheet, a1)?.value ?? '';
  }
  /** Values of a rectangular range, '' for empty cells. */
  values(sheet: string, address: string): unknown[][] {
    const { top, rows, cols } = parseRange(address);
    return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => this.sheets.get(sheet)?.get(key(top.row + r, top.col + c))?.value ?? ''));
  }
  set(sheet: string, a1: string, value: unknown): void {
    const s = this.sheets.get(sheet)!;
    s.set(norm(a1), { value, numberFormat: 'General', bold: false, color: '#000000' });
  }
  /** The add-in's context: every call goes through load/sync like the real API. */
  context(): import('../../addin/src/excel.ts').ContextLike {
    return new FakeContext(this) as never;
  }
}

class PropertyNotLoaded extends Error {
  constructor(prop: string) {
    super(`PropertyNotLoaded: The property '${prop}' is not available. Before reading the property's value, call the load method on the containing object and call "context.sync()" on the associated request context.`);
  }
}

const key = (row: number, col: number) => `${row}:${col}`;
const norm = (a1: string) => {
  const m = /^([A-Z]+)(\d+)$/.exec(a1.replace(/\$/g, ''))!;
  return key(Number(m[2]) - 1, columnIndex(m[1]));
};
function parseRange(address: string) {
  const [a, b = a] = address.replace(/\$/g, '').split(':');
  const p = (x: string) => {
    const m = /^([A-Z]+)(\d+)$/.exec(x);
    if (!m) throw new Error(`InvalidArgument: bad address ${address}`);
    return { row: Number(m[2]) - 1, col: columnIndex(m[1]) };
  };
  const [s, e] = [p(a), p(b)];
  return { top: { row: Math.min(s.row, e.row), col: Math.min(s.col, e.col) }, rows: Math.abs(e.row - s.row) + 1, cols: Math.abs(e.col - s.col) + 1 };
}

class FakeContext {
  private readonly queue: (() => void)[] = [];
  private readonly pendingLoads: (() => void)[] = [];
  constructor(readonly wb: FakeWorkbook) {}

  get workbook() {
    const ctx = this;
    return {
      getSelectedRange: () => new FakeRange(ctx, ctx.wb.selection.sheet, ctx.wb.selection.address),
      worksheets: {
        getItem: (name: string) => {
          if (!ctx.wb.sheets.has(name)) throw new Error(`ItemNotFound: worksheet ${name}`);
          return new FakeSheet(ctx, name);
        },
        getItemOrNullObject: (name: string) => {
          const sheet = new FakeSheet(ctx, name) as FakeSheet & { isNullObject: boolean };
          let loaded = false;
          ctx.pendingLoads.push(() => (loaded = true));
          Object.defineProperty(sheet, 'isNullObject', { get: () => { if (!loaded) throw new PropertyNotLoaded('isNullObject'); return !ctx.wb.sheets.has(name); } });
          return sheet;
        },
        add: (name: string) => {
          if (ctx.wb.sheets.has(name)) throw new Error(`ItemAlreadyExists: worksheet ${name}`);
          if (name.length > 31 || /[\\/?*[\]:]/.test(name)) throw new Error(`InvalidArgument: sheet name ${name}`);
          ctx.wb.sheets.set(name, new Map());
          return new FakeSheet(ctx, name);
        },
      },
      settings: {
        add: (k: string, value: unknown) => ctx.queue.push(() => ctx.wb.settings.set(k, value)),
        getItemOrNullObject: (k: string) => {
          let loaded = false;
          const setting = {
            load() {
              ctx.pendingLoads.push(() => (loaded = true));
              return setting;
            },
            get value() {
              if (!loaded) throw new PropertyNotLoaded('value');
              return ctx.wb.settings.get(k);
            },
            get isNullObject() {
              if (!loaded) throw new PropertyNotLoaded('isNullObject');
              return !ctx.wb.settings.has(k);
            },
          };
          return setting;
        },
      },
    };
  }

  enqueue(fn: () => void) {
    this.queue.push(fn);
  }
  onSync(fn: () => void) {
    this.pendingLoads.push(fn);
  }
  async sync() {
    this.wb.syncs++;
    for (const fn of this.queue.splice(0)) fn();
    for (const fn of this.pendingLoads.splice(0)) fn();
  }
}

class FakeSheet {
  constructor(private readonly ctx: FakeContext, readonly sheetName: string) {}
  get name() {
    return this.sheetName;
  }
  load() {
    return this;
  }
  activate() {
    this.ctx.enqueue(() => (this.ctx.wb.active = this.sheetName));
  }
  getRange(address: string) {
    return new FakeRange(this.ctx, this.sheetName, address);
  }
  get charts() {
    const ctx = this.ctx;
    const sheet = this.sheetName;
    // Like Excel: every change is queued and happens at sync; a chart found by name is a null object until loaded.
    const find = (name: string) => ctx.wb.charts.find((c) => c.sheet === sheet && c.name === name);
    const handle = (target: () => FakeWorkbook['charts'][number] | undefined) => ({
      set name(v: string) {
        ctx.enqueue(() => (target()!.name = v));
      },
      title: {
        set text(v: string) {
          ctx.enqueue(() => (target()!.title = v));
        },
      },
      setData: (source: FakeRange) => {
        ctx.enqueue(() => {
          const chart = target();
          if (!chart) throw new Error('ItemNotFound: chart');
          chart.address = source.addr;
        });
      },
      delete: () => {
        ctx.enqueue(() => {
          const chart = target();
          if (!chart) throw new Error('ItemNotFound: chart');
          ctx.wb.charts.splice(ctx.wb.charts.indexOf(chart), 1);
        });
      },
    });
    return {
      add: (type: string, source: FakeRange) => {
        if (!['ColumnClustered', 'Pie', 'Line', 'BarClustered'].includes(type)) throw new Error(`InvalidArgument: chart type ${type}`);
        const chart = { sheet, type, address: source.addr, title: '', name: `Grafico ${ctx.wb.charts.length + 1}` };
        ctx.enqueue(() => ctx.wb.charts.push(chart));
        return handle(() => chart);
      },
      getItemOrNullObject: (name: string) => {
        let loaded = false;
        ctx.onSync(() => (loaded = true));
        const chart = handle(() => find(name));
        Object.defineProperty(chart, 'isNullObject', { get: () => { if (!loaded) throw new PropertyNotLoaded('isNullObject'); return !find(name); } });
        return chart as typeof chart & { isNullObject: boolean };
      },
    };
  }
  get tables() {
    return {
      add: (address: string) => {
        this.ctx.enqueue(() => this.ctx.wb.tables.push({ sheet: this.sheetName, address }));
        return { name: `Tabella${this.ctx.wb.tables.length + 1}` };
      },
    };
  }
}

class FakeRange {
  private loaded = new Set<string>();
  private readonly shape: ReturnType<typeof parseRange>;
  constructor(private readonly ctx: FakeContext, readonly sheet: string, readonly addr: string) {
    this.shape = parseRange(addr);
  }
  load(props: string) {
    this.ctx.onSync(() => props.split(',').forEach((p) => this.loaded.add(p.trim())));
    return this;
  }
  private cells() {
    const data = this.ctx.wb.sheets.get(this.sheet)!;
    return { data, ...this.shape };
  }
  get address() {
    if (!this.loaded.has('address')) throw new PropertyNotLoaded('address');
    const { top, rows, cols } = this.shape;
    const end = `${columnName(top.col + cols - 1)}${top.row + rows}`;
    const start = `${columnName(top.col)}${top.row + 1}`;
    return `${this.sheet}!${start}${rows > 1 || cols > 1 ? `:${end}` : ''}`;
  }
  get values(): unknown[][] {
    if (!this.loaded.has('values')) throw new PropertyNotLoaded('values');
    return this.ctx.wb.values(this.sheet, this.addr);
  }
  set values(v: unknown[][]) {
    this.write(v, (cell, x) => (cell.value = x));
  }
  get numberFormat(): unknown[][] {
    throw new PropertyNotLoaded('numberFormat');
  }
  set numberFormat(v: unknown[][]) {
    this.write(v, (cell, x) => (cell.numberFormat = String(x)));
  }
  private write(v: unknown[][], apply: (cell: CellData, x: unknown) => void) {
    const { rows, cols, top } = this.shape;
    if (v.length !== rows || v.some((r) => r.length !== cols)) throw new Error(`InvalidArgument: The number of rows or columns in the input array doesn't match the size or dimensions of the range (${rows}x${cols}).`);
    this.ctx.enqueue(() => {
      const { data } = this.cells();
      v.forEach((row, r) => row.forEach((x, c) => {
        const k = key(top.row + r, top.col + c);
        const cell = data.get(k) ?? { value: '', numberFormat: 'General', bold: false, color: '#000000' };
        apply(cell, x);
        data.set(k, cell);
      }));
    });
  }
  private each(apply: (cell: CellData) => void) {
    this.ctx.enqueue(() => {
      const { data, top, rows, cols } = this.cells();
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) {
          const k = key(top.row + r, top.col + c);
          const cell = data.get(k) ?? { value: '', numberFormat: 'General', bold: false, color: '#000000' };
          apply(cell);
          data.set(k, cell);
        }
    });
  }
  get format() {
    const range = this;
    return {
      font: {
        set bold(b: boolean) {
          range.each((c) => (c.bold = b));
        },
        set italic(_: boolean) {},
        set color(color: string) {
          range.each((c) => (c.color = color));
        },
      },
      autofitColumns() {},
    };
  }
  get worksheet() {
    return new FakeSheet(this.ctx, this.sheet);
  }
  clear() {
    this.ctx.enqueue(() => {
      const { data, top, rows, cols } = this.cells();
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data.delete(key(top.row + r, top.col + c));
    });
  }
}
