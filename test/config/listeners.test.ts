import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkListenerConfig, parseListeners, resolveListenerSecurity, strayListenerConfigs } from '../../src/config/listeners.js';

const refused = (f: () => unknown, re: RegExp) => assert.throws(f, (e: Error) => re.test(e.message), String(re));

test('listeners, advertised listeners and the protocol map, as Kafka reads them', () => {
  const l = parseListeners({
    listeners: 'PLAINTEXT://127.0.0.1:9092,external://0.0.0.0:9093',
    'advertised.listeners': 'EXTERNAL://kafka.example:19093',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,EXTERNAL:SASL_SSL',
  });
  assert.equal(l, [
    { name: 'PLAINTEXT', protocol: 'PLAINTEXT', bind: { host: '127.0.0.1', port: 9092 }, advertised: { host: '127.0.0.1', port: 9092 } },
    { name: 'EXTERNAL', protocol: 'SASL_SSL', bind: { host: '0.0.0.0', port: 9093 }, advertised: { host: 'kafka.example', port: 19093 } },
  ]);
  // A listener named for a protocol needs no map entry (Kafka's default map names all four).
  assert.is(parseListeners({ listeners: 'SSL://127.0.0.1:9094' })[0]!.protocol, 'SSL');
  assert.equal(parseListeners({ listeners: 'PLAINTEXT://[::1]:9092' })[0]!.bind, { host: '::1', port: 9092 });
});

test('bad listener settings name what is wrong', () => {
  refused(() => parseListeners({ listeners: 'PLAINTEXT://127.0.0.1' }), /listeners: "PLAINTEXT:\/\/127.0.0.1" is not NAME:\/\/host:port/);
  refused(() => parseListeners({ listeners: 'A://127.0.0.1:1,a://127.0.0.1:2' }), /the listener name A is given twice/);
  refused(() => parseListeners({ listeners: 'A://127.0.0.1:1,B://127.0.0.1:1', 'listener.security.protocol.map': 'A:SSL,B:SSL' }), /port 1 is given to two listeners/);
  refused(() => parseListeners({ listeners: 'INTERNAL://127.0.0.1:1' }), /no security protocol for the listener INTERNAL/);
  refused(() => parseListeners({ listeners: 'PLAINTEXT://127.0.0.1:1', 'advertised.listeners': 'OTHER://h:1' }), /OTHER is not one of the listeners/);
  refused(() => parseListeners({ listeners: 'PLAINTEXT://0.0.0.0:1' }), /non-routable address 0.0.0.0/);
  refused(() => parseListeners({ listeners: 'A://h:1', 'listener.security.protocol.map': 'A:TLS' }), /A:TLS.*PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/);
});

test('per-listener settings: known names only, and only for listeners that exist', () => {
  assert.is(checkListenerConfig('listener.name.external.ssl.client.auth', 'required'), null);
  assert.is(checkListenerConfig('listener.name.external.scram-sha-512.sasl.jaas.config', 'x'), null);
  assert.match(checkListenerConfig('listener.name.external.ssl.client.auth', 'always')!, /invalid value: String must be one of: required, requested, none/);
  assert.match(checkListenerConfig('listener.name.external.log.retention.ms', '1')!, /cannot be set per listener/);
  assert.match(checkListenerConfig('listener.name.external.gssapi.sasl.jaas.config', 'x')!, /GSSAPI is not a SASL mechanism outpost serves/);
  const listeners = parseListeners({ listeners: 'EXTERNAL://127.0.0.1:1', 'listener.security.protocol.map': 'EXTERNAL:SSL' });
  assert.equal(strayListenerConfigs({ 'listener.name.extrenal.ssl.client.auth': 'required', 'listener.name.external.ssl.client.auth': 'none' }, listeners), ['listener.name.extrenal.ssl.client.auth']);
});

test('listener security: what TLS and SASL need, refused when missing', () => {
  const [sasl] = parseListeners({ listeners: 'SASL_PLAINTEXT://127.0.0.1:1' });
  refused(() => resolveListenerSecurity({}, sasl!), /listener SASL_PLAINTEXT: sasl.enabled.mechanisms is not set, and Kafka's default, GSSAPI \(Kerberos\), is not supported/);
  refused(() => resolveListenerSecurity({ 'sasl.enabled.mechanisms': 'PLAIN' }, sasl!), /PLAIN needs its users: set listener.name.sasl_plaintext.plain.sasl.jaas.config/);
  refused(() => resolveListenerSecurity({ 'sasl.enabled.mechanisms': 'OAUTHBEARER' }, sasl!), /OAUTHBEARER needs the keys tokens are signed with/);
  refused(() => resolveListenerSecurity({ 'sasl.enabled.mechanisms': 'DIGEST-MD5' }, sasl!), /DIGEST-MD5 is not supported/);
  const ok = resolveListenerSecurity({
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="a" user_admin="a" user_bob="b";',
    'listener.name.sasl_plaintext.connections.max.reauth.ms': '60000',
  }, sasl!);
  assert.equal([...ok.sasl!.plainUsers], [['admin', 'a'], ['bob', 'b']]);
  assert.is(ok.sasl!.maxReauthMs, 60000);
  assert.is(ok.ssl, null);
  const [ssl] = parseListeners({ listeners: 'SSL://127.0.0.1:1' });
  refused(() => resolveListenerSecurity({}, ssl!), /a TLS listener needs its certificate: set ssl.keystore.location/);
  refused(() => resolveListenerSecurity({ 'ssl.keystore.location': '/k.p12', 'ssl.keystore.type': 'PKCS12', 'ssl.client.auth': 'required' }, ssl!), /ssl.client.auth=required needs the CAs that sign client certificates/);
});

test.run();
