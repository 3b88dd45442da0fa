/**
 * SOAP 1.1 envelopes of XMLA 1.1: reading a Discover or Execute request and
 * writing the response or a fault. No knowledge of cubes here.
 */
import { DOMParser } from '@xmldom/xmldom';
import { randomUUID } from 'node:crypto';
import { el, esc, XMLA } from './xml.ts';

export class XmlaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlaError';
  }
}

export interface XmlaRequestBase {
  /** Properties from <Properties><PropertyList>, by name (unknown ones kept, never refused). */
  properties: Record<string, string>;
  /** SOAP header: BeginSession asks for a session id; Session carries one. */
  session: { begin: boolean; id?: string; end: boolean };
}

export interface DiscoverRequest extends XmlaRequestBase {
  kind: 'discover';
  requestType: string;
  /** Restriction name -> values (a restriction may be given as a list). */
  restrictions: Record<string, string[]>;
}

export interface ExecuteRequest extends XmlaRequestBase {
  kind: 'execute';
  statement: string;
}

export type XmlaRequest = DiscoverRequest | ExecuteRequest;

const children = (e: Element): Element[] => {
  const out: Element[] = [];
  for (let n = e.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
};
const child = (e: Element | undefined, local: string): Element | undefined => (e ? children(e).find((c) => c.localName === local) : undefined);
const textOf = (e: Element | undefined): string => (e?.textContent ?? '').trim();

export function parseRequest(body: string): XmlaRequest {
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: (level: string, msg: unknown) => void (level !== 'warning' && errors.push(String(msg))) }).parseFromString(body, 'text/xml');
  const root = doc?.documentElement as Element | undefined;
  if (!root || errors.length) throw new XmlaError(`La richiesta XMLA non è XML valido: ${errors[0] ?? 'documento vuoto'}.`);
  if (root.localName !== 'Envelope') throw new XmlaError(`La richiesta XMLA deve essere una busta SOAP (soap:Envelope), trovato <${root.localName}>.`);
  const header = child(root, 'Header');
  const session = {
    begin: !!child(header, 'BeginSession'),
    end: !!child(header, 'EndSession'),
    id: child(header, 'Session')?.getAttribute('SessionId') ?? child(header, 'EndSession')?.getAttribute('SessionId') ?? undefined,
  };
  const method = children(child(root, 'Body') ?? root).find((c) => c.localName === 'Discover' || c.localName === 'Execute');
  if (!method) throw new XmlaError('Il corpo SOAP deve contenere Discover o Execute (XMLA 1.1).');
  const properties: Record<string, string> = {};
  const propertyList = child(child(method, 'Properties'), 'PropertyList');
  if (propertyList) for (const p of children(propertyList)) properties[p.localName!] = textOf(p);
  if (method.localName === 'Discover') {
    const restrictions: Record<string, string[]> = {};
    const restrictionList = child(child(method, 'Restrictions'), 'RestrictionList');
    for (const r of restrictionList ? children(restrictionList) : []) {
      const values = children(r).filter((v) => v.localName === 'Value').map(textOf);
      (restrictions[r.localName!] ??= []).push(...(values.length ? values : [textOf(r)]));
    }
    return { kind: 'discover', requestType: textOf(child(method, 'RequestType')), restrictions, properties, session };
  }
  const statement = textOf(child(child(method, 'Command'), 'Statement'));
  return { kind: 'execute', statement, properties, session };
}

function sessionHeader(session: XmlaRequestBase['session']): string {
  if (session.end) return '';
  const id = session.begin ? randomUUID() : session.id;
  return id ? el('soap:Header', el('Session', '', { xmlns: XMLA, SessionId: id })) : '';
}

export function envelope(body: string, session: XmlaRequestBase['session']): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el('soap:Envelope', sessionHeader(session) + el('soap:Body', body), { 'xmlns:soap': 'http://schemas.xmlsoap.org/soap/envelope/' })}`;
}

export function discoverResponse(root: string, session: XmlaRequestBase['session']): string {
  return envelope(el('DiscoverResponse', el('return', root), { xmlns: XMLA }), session);
}

export function executeResponse(root: string, session: XmlaRequestBase['session']): string {
  return envelope(el('ExecuteResponse', el('return', root), { xmlns: XMLA }), session);
}

/** A SOAP fault as SSAS writes it: Excel shows the Description. */
export function fault(message: string, code = 'XMLAnalysisError.0xc10a0001'): string {
  const detail = el('Error', '', { ErrorCode: '3238658049', Description: message, Source: 'PAS cubi XMLA', HelpFile: '' });
  return envelope(
    el('soap:Fault', el('faultcode', esc(code)) + el('faultstring', esc(message)) + el('detail', detail)),
    { begin: false, end: true },
  );
}
