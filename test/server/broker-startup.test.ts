// Clients that connect while `outpost serve` is starting (as clients retrying a restarted broker
// do) are all answered once it is up: no connection is accepted before anything reads it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { freePort } from '../peers/kafka.js';
import { spawnGuarded } from '../peers/proc.js';

const bin = fileURLToPath(new URL('../../../bin/outpost.js', import.meta.url));
const ANSWER_WITHIN_MS = 5000;
const STARTS = 4;

type Outcome = 'answered' | 'closed' | 'unanswered';

/** One connection: does ApiVersions get an answer? Null when the connection is refused. */
async function tryOnce(port: number): Promise<Outcome | null> {
  let conn: KafkaConnection;
  try {
    conn = await KafkaConnection.open('127.0.0.1', port, { connectTimeoutMs: 1000 });
  } catch {
    return null;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Outcome>((r) => (timer = setTimeout(() => r('unanswered'), ANSWER_WITHIN_MS)));
  const outcome = await Promise.race([conn.negotiate().then((): Outcome => 'answered', (): Outcome => 'closed'), late]);
  clearTimeout(timer);
  conn.close();
  return outcome;
}

test('connections made while the broker starts are all answered', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'outpost-startup-'));
  try {
    for (let i = 0; i < STARTS; i++) {
      const [port, adminPort] = [await freePort(), await freePort()];
      const child = spawnGuarded(process.execPath, [bin, 'serve', '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${adminPort}`, '--data-dir', dataDir], { stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      // Connections one after another from before the listener opens, each kept to its answer,
      // and several in parallel so that some are waiting in the backlog when it opens.
      const outcomes: Outcome[] = [];
      let up = false;
      const clients = Array.from({ length: 4 }, async () => {
        for (const until = Date.now() + 20_000; !up && Date.now() < until; ) {
          const o = await tryOnce(port);
          if (o === null) await new Promise((r) => setTimeout(r, 1));
          else outcomes.push(o);
          if (o === 'answered') up = true;
        }
      });
      await Promise.all(clients);
      child.kill('SIGTERM');
      // A connection nobody reads would also keep the listener from closing, and so the broker from stopping.
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 15_000)))]);
      clearTimeout(timer);
      if (!stopped) child.kill('SIGKILL');
      assert.ok(up, `start ${i + 1}: outpost never answered`);
      assert.is(outcomes.filter((o) => o === 'unanswered').length, 0, `start ${i + 1}: connections without an answer to ApiVersions within ${ANSWER_WITHIN_MS} ms: ${outcomes.join(', ')}`);
      assert.ok(stopped, `start ${i + 1}: outpost did not stop within 15 s of SIGTERM`);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
