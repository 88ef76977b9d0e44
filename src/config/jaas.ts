// Kafka's sasl.jaas.config: one JAAS login module entry, as Kafka's JaasConfig reads it:
//
//   org.apache.kafka.common.security.plain.PlainLoginModule required username="k" password="s";
//
// a module class, a control flag, then key=value options (a value quoted with double quotes, or a
// bare word), ended by ';'. Messages about a bad entry never repeat its text: it holds secrets.

export interface JaasEntry {
  loginModule: string;
  options: Record<string, string>;
}

const FLAGS = ['required', 'requisite', 'sufficient', 'optional'];

type Token = { kind: 'word' | 'quoted'; text: string } | { kind: '=' | ';' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '=' || c === ';') {
      tokens.push({ kind: c });
      i++;
    } else if (c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('a quoted value is not closed');
        const q = text[i++]!;
        if (q === '"') break;
        value += q === '\\' && i < text.length ? text[i++]! : q;
      }
      tokens.push({ kind: 'quoted', text: value });
    } else {
      const start = i;
      while (i < text.length && !/[\s=;"]/.test(text[i]!)) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i) });
    }
  }
  return tokens;
}

/** Parses sasl.jaas.config; throws an Error saying what is wrong (never quoting the text). */
export function parseJaasConfig(text: string): JaasEntry {
  const tokens = tokenize(text);
  const entries: JaasEntry[] = [];
  let i = 0;
  while (i < tokens.length) {
    const module = tokens[i++];
    if (module?.kind !== 'word') throw new Error('expected a login module class name');
    const flag = tokens[i++];
    if (flag?.kind !== 'word' || !FLAGS.includes(flag.text.toLowerCase())) {
      throw new Error(`the login module ${module.text} must be followed by a control flag (${FLAGS.join(', ')})`);
    }
    const options: Record<string, string> = {};
    for (;;) {
      const t = tokens[i++];
      if (t?.kind === ';') break;
      if (t?.kind !== 'word') throw new Error(`expected key=value options ended by ';' after ${module.text} ${flag.text}`);
      if (tokens[i++]?.kind !== '=') throw new Error(`option ${t.text} has no value`);
      const v = tokens[i++];
      if (v?.kind !== 'word' && v?.kind !== 'quoted') throw new Error(`option ${t.text} has no value`);
      options[t.text] = v.text;
    }
    entries.push({ loginModule: module.text, options });
  }
  if (entries.length !== 1) throw new Error(`it must hold exactly one login module entry, not ${entries.length}`);
  return entries[0]!;
}
