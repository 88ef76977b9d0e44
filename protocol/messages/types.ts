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
