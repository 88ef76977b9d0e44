// Request and response headers, and whole frames (size prefix, header, body).
// Header versions: requests use v1, or v2 (with tagged fields) in flexible versions; responses use
// v0, or v1 in flexible versions, except ApiVersions responses, which are always v0 so that a
// client that does not yet know our versions can read them.
import type { Api } from './apis.js';
import type { SizeContext } from './codec.js';
import { Reader, Writer, stringSize, uvarintSize } from './primitives.js';

export const API_VERSIONS_KEY = 18;

/** A size prefix past what the reader accepts (socket.request.max.bytes for a broker). */
export class FrameTooLarge extends Error {
  constructor(readonly size: number, readonly limit: number) {
    super(`frame of ${size} bytes exceeds the limit of ${limit}`);
  }
}

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Reads the fields every request header version shares; the caller knows if tags follow. */
export function readRequestHeaderStart(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  // The client id is a classic nullable string even in header v2.
  const clientId = r.string(false);
  return { apiKey, apiVersion, correlationId, clientId };
}

/** Skips a header's or struct's tagged fields, which no header field we read uses. */
export function skipTaggedFields(r: Reader): void {
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    r.uvarint();
    r.raw(r.uvarint());
  }
}

export function responseHeaderIsFlexible(api: Api, version: number): boolean {
  return api.key !== API_VERSIONS_KEY && api.isFlexible(version);
}

/**
 * Decodes a request body that starts at the reader's position. Bytes after the body are ignored,
 * as by Kafka, which reads the fields it knows: librdkafka 2.3 and later send Metadata v12 and
 * v13 with a few bytes to spare.
 */
export function decodeRequestBody(api: Api, version: number, r: Reader): unknown {
  return api.request(version).read(r);
}

/** Encodes a response frame, size prefix included; record data stays in the caller's buffers. */
export function encodeResponse(api: Api, version: number, correlationId: number, body: any): Buffer[] {
  const codec = api.response(version);
  const flexibleHeader = responseHeaderIsFlexible(api, version);
  const ctx: SizeContext = { spliced: 0 };
  const headerSize = 4 + (flexibleHeader ? 1 : 0);
  const size = headerSize + codec.size(body, ctx);
  const w = new Writer(4 + size - ctx.spliced);
  w.int32(size);
  w.int32(correlationId);
  if (flexibleHeader) w.uvarint(0);
  codec.write(w, body);
  return w.finish();
}

/** Encodes a request frame, size prefix included (used by outpost's own client and by tests). */
export function encodeRequest(api: Api, version: number, header: { correlationId: number; clientId: string | null }, body: any): Buffer[] {
  const codec = api.request(version);
  const flexible = api.isFlexible(version);
  const ctx: SizeContext = { spliced: 0 };
  const headerSize = 8 + stringSize(header.clientId, false) + (flexible ? uvarintSize(0) : 0);
  const size = headerSize + codec.size(body, ctx);
  const w = new Writer(4 + size - ctx.spliced);
  w.int32(size);
  w.int16(api.key);
  w.int16(version);
  w.int32(header.correlationId);
  w.string(header.clientId, false);
  if (flexible) w.uvarint(0);
  codec.write(w, body);
  return w.finish();
}

/** Decodes a response frame (without its size prefix). */
export function decodeResponse(api: Api, version: number, frame: Buffer): { correlationId: number; body: any } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (responseHeaderIsFlexible(api, version)) skipTaggedFields(r);
  const body = api.response(version).read(r);
  return { correlationId, body };
}

