// Reading a packet header model from JSON (`vdxp build --model`), checked against the edXML schema itself:
// the header is built and parsed back, and anything the round trip does not return (a misspelt field, a
// field where edXML has none, a list where a single element belongs) is named instead of silently dropped.
// This keeps the CLI free of a second copy of the schema.

import {
  EdxmlError, buildPacketBytes, isEdxmlError, parsePacketBytes, type EdxmlHeader, type PacketModel,
} from '@vdxp/edxml';

export type HeaderModel = PacketModel['header'];

/** Parses the JSON text of `{ "header": { "MessageHeader": …, "TraceHeaderList": … } }` into a header model. */
export function headerFromJson(text: string): HeaderModel {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalid(`the model is not JSON: ${(e as Error).message}`, undefined, e);
  }
  const root = normalize(value, 'model');
  if (!isObject(root) || !isObject(root['header'])) throw invalid('the model needs a "header" object', 'header');
  const header = root['header'];
  const mh = header['MessageHeader'];
  if (!isObject(mh)) throw invalid('the model needs "header.MessageHeader", an object', 'header.MessageHeader');
  mh['From'] ??= {};
  mh['To'] ??= [];
  mh['ResponseFor'] ??= [];
  return header as unknown as HeaderModel;
}

/**
 * Throws VDXP_E_MODEL_INVALID naming the first part of `header` that edXML cannot carry. Call it once the
 * header is complete (flags merged): the builder's own checks (a sender, a recipient) run here too.
 */
export async function checkHeaderModel(header: HeaderModel): Promise<void> {
  let parsed: EdxmlHeader;
  try {
    parsed = (await parsePacketBytes(await buildPacketBytes({ header }))).header;
  } catch (e) {
    if (isEdxmlError(e)) throw e;
    // The builder trusts its input's types: a list given as text (or the reverse) fails inside it.
    throw invalid(`the model does not have the shape of an edXML header (${(e as Error).message})`, 'header', e);
  }
  const want: Record<string, unknown> = { ...header };
  const got: Record<string, unknown> = { ...parsed };
  // Filled in by the builder when absent, so only compared when the model gives them.
  if (header.Manifest === undefined) delete got['Manifest'];
  if (header.ManifestVersion === undefined) delete got['ManifestVersion'];
  const at = firstDifference(want, got, 'header');
  if (at !== undefined) {
    throw invalid(`${at} is not carried by the packet: not an edXML field at that place, of the wrong shape, `
      + 'or not part of this kind of packet (status packets have no To, TraceHeaderList or manifest)', at);
  }
}

/** Drops nulls, turns numbers and booleans into the text edXML carries, refuses anything else. */
function normalize(value: unknown, path: string): unknown {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v, i) => normalize(v, `${path}[${i}]`));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = normalize(v, `${path}.${k}`);
    return out;
  }
  throw invalid(`${path} is not text, a list or an object`, path);
}

/** The path of the first value of `want` that `got` lacks or holds differently; leaves compare trimmed. */
function firstDifference(want: unknown, got: unknown, path: string): string | undefined {
  if (typeof want === 'string') return got === want.trim() ? undefined : path;
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return path;
    for (let i = 0; i < want.length; i++) {
      const d = firstDifference(want[i], got[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (isObject(want)) {
    if (!isObject(got)) return path;
    for (const [k, v] of Object.entries(want)) {
      if (v === undefined) continue;
      const d = firstDifference(v, got[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return want === got ? undefined : path;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(message: string, path?: string, cause?: unknown): EdxmlError {
  return new EdxmlError('VDXP_E_MODEL_INVALID', `Model: ${message}`, { ...(path === undefined ? {} : { path }), cause });
}
