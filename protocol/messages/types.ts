// The shape of one API's message definitions, as scripts/extract-messages.js writes them.
// Version ranges keep Kafka's notation: "3+", "0-2", "none".

export interface FieldDefinition {
  /** field name, camelCase */
  n: string;
  /** primitive type, "[]primitive", "struct" or "[]struct" */
  t: string;
  /** versions the field is present in */
  v: string;
  /** versions in which it may be null */
  nv?: string;
  /** versions in which it is a tagged field, and its tag */
  tv?: string;
  tag?: number;
  /** default value, as written in the definition */
  d?: string;
  /** fields of a struct or struct array */
  f?: FieldDefinition[];
}

export interface ApiDefinition {
  key: number;
  name: string;
  valid: string;
  flexible: string;
  unstableLatest?: boolean;
  request: FieldDefinition[];
  response: FieldDefinition[];
}

/** A record of an internal topic, as the coordinators write it. */
export interface RecordDefinition {
  /** the record type that prefixes the key */
  key: number;
  name: string;
  valid: string;
  flexible: string;
  fields: FieldDefinition[];
}

/**
 * A message as the decoder hands it over: every field of every version is there, those the
 * version lacks at their defaults, so the optional fields of the generated interfaces are not.
 * Record data arrives as one view into the frame, never as the list of buffers an encoder takes
 * (no message has an array of bytes, so a Buffer array can only be record data).
 */
export type Decoded<T> = T extends Buffer
  ? T
  : T extends readonly Buffer[]
    ? never
    : T extends readonly (infer E)[]
    ? Decoded<E>[]
    : T extends object
      ? { [K in keyof T]-?: Decoded<T[K]> }
      : T;
