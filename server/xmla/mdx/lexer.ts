/** MDX tokens, each with the line and column where it starts (errors name them). */
import { XmlaError } from '../soap.ts';

export type TokenKind = 'ident' | 'bracket' | 'key' | 'number' | 'string' | 'symbol' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier text (bare or unbracketed), string/number text, or the symbol itself. */
  readonly value: string;
  readonly line: number;
  readonly column: number;
}

const SYMBOLS = ['<>', '<=', '>=', '{', '}', '(', ')', ',', '.', ':', '*', '+', '-', '/', '=', '<', '>', '&', ';'];

export class MdxSyntaxError extends XmlaError {
  constructor(message: string, line: number, column: number) {
    super(`Errore di sintassi MDX alla riga ${line}, colonna ${column}: ${message}`);
  }
}

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const advanceTo = (end: number) => {
    for (let j = i; j < end; j++) if (src[j] === '\n') (line++, (lineStart = j + 1));
    i = end;
  };
  while (i < src.length) {
    const c = src[i];
    const column = i - lineStart + 1;
    if (/\s/.test(c)) {
      advanceTo(i + 1);
      continue;
    }
    if (src.startsWith('--', i) || src.startsWith('//', i)) {
      const end = src.indexOf('\n', i);
      advanceTo(end < 0 ? src.length : end);
      continue;
    }
    if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new MdxSyntaxError('commento /* non chiuso', line, column);
      advanceTo(end + 2);
      continue;
    }
    const startLine = line;
    if (c === '[' || (c === '&' && src[i + 1] === '[')) {
      const open = c === '&' ? i + 1 : i;
      let j = open + 1;
      let value = '';
      for (;;) {
        if (j >= src.length) throw new MdxSyntaxError('nome tra parentesi quadre non chiuso (manca "]")', startLine, column);
        if (src[j] === ']') {
          if (src[j + 1] === ']') {
            value += ']';
            j += 2;
            continue;
          }
          break;
        }
        value += src[j++];
      }
      tokens.push({ kind: c === '&' ? 'key' : 'bracket', value, line: startLine, column });
      advanceTo(j + 1);
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= src.length) throw new MdxSyntaxError(`stringa non chiusa (manca ${c})`, startLine, column);
        if (src[j] === c) {
          if (src[j + 1] === c) {
            value += c;
            j += 2;
            continue;
          }
          break;
        }
        value += src[j++];
      }
      tokens.push({ kind: 'string', value, line: startLine, column });
      advanceTo(j + 1);
      continue;
    }
    const num = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i, i + 64));
    if (num) {
      tokens.push({ kind: 'number', value: num[0], line, column });
      advanceTo(i + num[0].length);
      continue;
    }
    const id = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i, i + 256));
    if (id) {
      tokens.push({ kind: 'ident', value: id[0], line, column });
      advanceTo(i + id[0].length);
      continue;
    }
    const sym = SYMBOLS.find((s) => src.startsWith(s, i));
    if (!sym) throw new MdxSyntaxError(`carattere inatteso "${c}"`, line, column);
    tokens.push({ kind: 'symbol', value: sym, line, column });
    advanceTo(i + sym.length);
  }
  tokens.push({ kind: 'eof', value: '', line, column: i - lineStart + 1 });
  return tokens;
}
