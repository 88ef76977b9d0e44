// A kafkajs group member in a process of its own, so that a test can kill it (SIGKILL: no
// LeaveGroup, no goodbye) and watch the coordinator notice. Prints one JSON line per event:
//   {"event":"join","memberId":…,"assignment":{"topic":[partitions]}}
//   {"event":"message","partition":…,"offset":"…","value":"…"}
// Usage: node group-member.js BOOTSTRAP GROUP TOPIC SESSION_TIMEOUT_MS
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, groupId, topic, sessionTimeout] = process.argv.slice(2);
if (!bootstrap || !groupId || !topic || !sessionTimeout) {
  process.stderr.write('usage: group-member.js BOOTSTRAP GROUP TOPIC SESSION_TIMEOUT_MS\n');
  process.exit(2);
}
const print = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const kafka = new Kafka({ clientId: 'group-member', brokers: [bootstrap], logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId, sessionTimeout: Number(sessionTimeout), heartbeatInterval: 300, maxWaitTimeInMs: 200 });
consumer.on(consumer.events.GROUP_JOIN, (e) => print({ event: 'join', memberId: e.payload.memberId, assignment: e.payload.memberAssignment }));
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ partition, message }) => void print({ event: 'message', partition, offset: message.offset, value: message.value?.toString() }),
});
