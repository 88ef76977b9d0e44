// OAUTHBEARER on outpost's listeners, as Kafka's OAuthBearerValidatorCallbackHandler validates it:
// JWTs signed by an OAuth server's key (its JWKS fetched from a URL, or read from a file), with
// the expected audience and issuer. The clients are real and get their tokens from a token
// endpoint with the client-credentials grant: confluent-kafka-python (librdkafka's OIDC support,
// which Debian's kcat is built without) and the Java console tools (Kafka's
// OAuthBearerLoginCallbackHandler).
import { createServer, type Server } from 'node:http';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { QUICK_JVM_ARGS, consoleConsume, consoleProduce } from '../peers/kafka.js';
import { confluentKafka } from '../peers/confluent-kafka.js';
import { removeAtExit } from '../peers/proc.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { waitFor } from '../link/support.js';

const ISSUER = 'https://issuer.outpost.test';
const AUDIENCE = 'outpost';
const CLIENT_SECRET = 'oauth-client-secret-6a1e';

interface Ctx {
  outpost: TestBroker;
  logs: string[];
  server: Server;
  /** http://127.0.0.1:PORT */
  base: string;
}

const test = suite<Ctx>('OAUTHBEARER listeners');

test.before(async (ctx) => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const dir = mkdtempSync(join(tmpdir(), 'outpost-oauth-'));
  removeAtExit(dir);
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  // The OAuth server: the JWKS, and tokens for the client credentials in HTTP Basic. /wrong-audience
  // signs a token for another audience.
  ctx.server = createServer((req, res) => {
    if (req.url === '/jwks') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
    if (secret !== CLIENT_SECRET) {
      res.statusCode = 401;
      res.end('{"error":"invalid_client"}');
      return;
    }
    const audience = req.url?.startsWith('/wrong-audience') ? 'someone-else' : AUDIENCE;
    void new SignJWT({ scope: 'kafka' })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setSubject(id!)
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey)
      .then((token) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: 600 }));
      });
  });
  await new Promise<void>((resolve) => ctx.server.listen(0, '127.0.0.1', resolve));
  ctx.base = `http://127.0.0.1:${(ctx.server.address() as { port: number }).port}`;
  ctx.logs = [];
  ctx.outpost = await startOutpost({
    logLines: ctx.logs,
    configs: {
      'auto.create.topics.enable': 'true',
      listeners: 'OAUTH://127.0.0.1:0,OAUTHFILE://127.0.0.1:0',
      'listener.security.protocol.map': 'OAUTH:SASL_PLAINTEXT,OAUTHFILE:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'OAUTHBEARER',
      'sasl.oauthbearer.expected.audience': AUDIENCE,
      'sasl.oauthbearer.expected.issuer': ISSUER,
      'listener.name.oauth.sasl.oauthbearer.jwks.endpoint.url': `${ctx.base}/jwks`,
      'listener.name.oauthfile.sasl.oauthbearer.jwks.endpoint.url': jwksFile,
    },
  });
});

test.after(async (ctx) => {
  await ctx.outpost?.destroy();
  ctx.server?.close();
});

const oidc = (ctx: Ctx, tokenPath = '/token') => ({
  'security.protocol': 'SASL_PLAINTEXT',
  'sasl.mechanisms': 'OAUTHBEARER',
  'sasl.oauthbearer.method': 'oidc',
  'sasl.oauthbearer.client.id': 'librdkafka-client',
  'sasl.oauthbearer.client.secret': CLIENT_SECRET,
  'sasl.oauthbearer.token.endpoint.url': `${ctx.base}${tokenPath}`,
});
const bootstrap = (ctx: Ctx, listener: string) => `127.0.0.1:${ctx.outpost.ports[listener]}`;

test('librdkafka with OIDC client credentials: keys from the JWKS URL on one listener, from a file on the other', async (ctx) => {
  const produced = (await confluentKafka('confluent_peer.py', bootstrap(ctx, 'OAUTH'), ['produce', 'oauth-topic', '20'], 120_000, oidc(ctx))) as { delivered: number; errors: string[] };
  assert.equal([produced.delivered, produced.errors], [20, []]);
  const consumed = (await confluentKafka('confluent_peer.py', bootstrap(ctx, 'OAUTHFILE'), ['consume', 'oauth-topic', 'oauth-group', '20'], 120_000, oidc(ctx))) as { values: string[] };
  assert.is(consumed.values.length, 20);
  assert.ok(ctx.logs.some((l) => l.includes('"principal":"User:librdkafka-client"')), 'the sub claim is the principal');
});

test('the Java console producer and consumer with OAuthBearerLoginCallbackHandler', async (ctx) => {
  const url = `${ctx.base}/token`;
  const props = [
    '--command-property', 'security.protocol=SASL_PLAINTEXT',
    '--command-property', 'sasl.mechanism=OAUTHBEARER',
    '--command-property', 'sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler',
    '--command-property', `sasl.oauthbearer.token.endpoint.url=${url}`,
    '--command-property', `sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="java-client" clientSecret="${CLIENT_SECRET}";`,
  ];
  // Kafka's client fetches tokens only from URLs allowed by this system property.
  const jvmArgs = [...QUICK_JVM_ARGS, `-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=${url}`];
  const peer = { bootstrap: `127.0.0.1:${ctx.outpost.ports.OAUTH}` };
  const produced = await consoleProduce(peer, 'oauth-java', ['x', 'y'], props, { jvmArgs });
  assert.is(produced.code, 0, produced.stderr);
  const consumed = await consoleConsume(peer, 'oauth-java', { maxMessages: 2, args: props, jvmArgs });
  assert.is(consumed.code, 0, consumed.stderr);
  assert.equal(consumed.stdout.trim().split('\n'), ['x', 'y']);
});

test('a token for another audience is refused, and the log says why', async (ctx) => {
  const before = ctx.logs.length;
  const refused = (await confluentKafka('confluent_peer.py', bootstrap(ctx, 'OAUTH'), ['produce', 'oauth-refused', '1'], 60_000, oidc(ctx, '/wrong-audience/token'))) as { delivered: number; unflushed: number };
  assert.equal([refused.delivered, refused.unflushed], [0, 1], 'nothing delivered: the client never authenticated');
  await waitFor('a log line', () => ctx.logs.slice(before).some((l) => l.includes('failed authentication') && l.includes('aud')));
});

test.run();
