// DescribeUserScramCredentials and AlterUserScramCredentials, as Kafka's controller and metadata
// image answer them (what `kafka-configs --entity-type users` sends for SCRAM-SHA-256/512=[...]).
// The client salts the password; only StoredKey and ServerKey are kept (scram-credentials.ts).
import { errorCode, type ErrorName } from '../../../protocol/errors.js';
import { MAX_ITERATIONS, MIN_ITERATIONS } from '../../client/sasl/scram-formulas.js';
import { SCRAM_MECHANISMS, scramMechanismType } from '../../security/scram-credentials.js';
import { permits, refusal } from '../authorization.js';
import { defineHandler } from './handler.js';

// kafka-configs --entity-type users --describe asks for the users' quotas too. outpost enforces no
// client quotas, so it has none to list (an empty answer, as a Kafka broker without quotas gives).
export const describeClientQuotas = defineHandler('DescribeClientQuotas', [0, 1], (b, _req, ctx) =>
  permits(b, ctx, 'DescribeClientQuotas.cluster')
    ? { throttleTimeMs: 0, errorCode: 0, errorMessage: null, entries: [] }
    : { throttleTimeMs: 0, errorCode: errorCode(refusal('DescribeClientQuotas.cluster')), errorMessage: null, entries: null },
);

const DUPLICATE = 'A user credential cannot be altered twice in the same request';

export const describeUserScramCredentials = defineHandler('DescribeUserScramCredentials', [0, 0], (b, req, ctx) => {
  if (!permits(b, ctx, 'DescribeUserScramCredentials.cluster')) return { throttleTimeMs: 0, errorCode: errorCode(refusal('DescribeUserScramCredentials.cluster')), errorMessage: null, results: [] };
  const all = b.scram.describe();
  const wanted = req.users === null || req.users.length === 0 ? [...all.keys()].map((name) => ({ name })) : req.users;
  const counts = new Map<string, number>();
  for (const u of wanted) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
  const results = [...counts].map(([user, n]) => {
    if (n > 1) return { user, errorCode: errorCode('DUPLICATE_RESOURCE'), errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] };
    const infos = all.get(user);
    if (!infos) return { user, errorCode: errorCode('RESOURCE_NOT_FOUND'), errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
    return { user, errorCode: 0, errorMessage: null, credentialInfos: infos.map((c) => ({ mechanism: scramMechanismType(c.mechanism), iterations: c.iterations })) };
  });
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results };
});

export const alterUserScramCredentials = defineHandler('AlterUserScramCredentials', [0, 0], async (b, req, ctx) => {
  if (!permits(b, ctx, 'AlterUserScramCredentials.cluster')) {
    const users = [...new Set([...req.deletions, ...req.upsertions].map((c) => c.name))];
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: errorCode(refusal('AlterUserScramCredentials.cluster')), errorMessage: null })) };
  }
  const errors = new Map<string, { error: ErrorName; message: string }>();
  const deletions = new Map<string, { user: string; mechanism: string; delete: true }>();
  const upserts = new Map<string, { user: string; mechanism: string; salt: Buffer; iterations: number; saltedPassword: Buffer }>();
  const basic = (user: string, type: number): { error: ErrorName; message: string } | null => {
    if (user === '') return { error: 'UNACCEPTABLE_CREDENTIAL', message: 'Username must not be empty' };
    if (!SCRAM_MECHANISMS.has(type)) return { error: 'UNSUPPORTED_SASL_MECHANISM', message: 'Unknown SCRAM mechanism' };
    return null;
  };
  for (const d of req.deletions) {
    if (errors.has(d.name)) continue;
    if (deletions.delete(d.name)) {
      errors.set(d.name, { error: 'DUPLICATE_RESOURCE', message: DUPLICATE });
      continue;
    }
    const mechanism = SCRAM_MECHANISMS.get(d.mechanism) ?? '';
    const problem = basic(d.name, d.mechanism) ?? (b.scram.get(d.name, mechanism) ? null : { error: 'RESOURCE_NOT_FOUND' as const, message: 'Attempt to delete a user credential that does not exist' });
    if (problem) errors.set(d.name, problem);
    else deletions.set(d.name, { user: d.name, mechanism, delete: true });
  }
  for (const u of req.upsertions) {
    if (errors.has(u.name)) continue;
    if (deletions.delete(u.name) || upserts.delete(u.name)) {
      errors.set(u.name, { error: 'DUPLICATE_RESOURCE', message: DUPLICATE });
      continue;
    }
    const problem =
      basic(u.name, u.mechanism) ??
      (u.iterations < MIN_ITERATIONS ? { error: 'UNACCEPTABLE_CREDENTIAL' as const, message: 'Too few iterations' } : null) ??
      (u.iterations > MAX_ITERATIONS ? { error: 'UNACCEPTABLE_CREDENTIAL' as const, message: 'Too many iterations' } : null);
    if (problem) errors.set(u.name, problem);
    else upserts.set(u.name, { user: u.name, mechanism: SCRAM_MECHANISMS.get(u.mechanism)!, salt: u.salt, iterations: u.iterations, saltedPassword: u.saltedPassword });
  }
  await b.scram.apply([...deletions.values(), ...upserts.values()]);
  b.logger.info({ upserted: [...upserts.keys()], deleted: [...deletions.keys()] }, 'SCRAM credentials altered');
  const results = [
    ...[...deletions.keys(), ...upserts.keys()].map((user) => ({ user, errorCode: 0, errorMessage: null })),
    ...[...errors].map(([user, e]) => ({ user, errorCode: errorCode(e.error), errorMessage: e.message })),
  ];
  return { throttleTimeMs: 0, results };
});
