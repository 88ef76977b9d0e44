// Produces records with the real Java producer (idempotent by default, as in every Kafka 3+
// client) and prints one JSON line per record, in send order:
//   {"partition":0,"offset":41,"timestamp":1700000000000}   or   {"error":"..."}
// Records come from --count N (generated: key "<key-prefix>i" when --key-prefix is given, else
// null; value "<value-prefix>i", padded with '.' to --value-size bytes when that is given), or,
// without --count, from stdin, one JSON object a line:
//   {"key":"k","value":"v","keyBase64":..,"valueBase64":..,"partition":0,"timestamp":..,"headers":{"h":"v"}}
// --partition P pins every generated record to P. Any client config goes in as --prop k=v; with
// --prop transactional.id=ID all records go in one transaction, ended per --txn commit|abort.
// --end-txn-when PATH keeps that transaction open, its records acknowledged, until the file PATH
// exists: a test's signal, for the state of a log while a transaction is open.
// Exit code: 0 when every record was acknowledged, 1 otherwise, 2 on bad arguments.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class ProduceRecords {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] argv) throws Exception {
    ClientArgs args;
    List<ProducerRecord<byte[], byte[]>> records;
    try {
      args = new ClientArgs(argv);
      records = args.get("count", null) != null ? generated(args) : fromStdin(args.require("topic"));
    } catch (IllegalArgumentException e) {
      System.err.println("ProduceRecords: " + e.getMessage());
      System.exit(2);
      return;
    }
    args.props.putIfAbsent("bootstrap.servers", args.require("bootstrap"));
    args.props.put("key.serializer", ByteArraySerializer.class.getName());
    args.props.put("value.serializer", ByteArraySerializer.class.getName());
    boolean transactional = args.props.getProperty("transactional.id") != null;
    boolean ok = true;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(args.props)) {
      if (transactional) {
        producer.initTransactions();
        producer.beginTransaction();
      }
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (ProducerRecord<byte[], byte[]> r : records) sent.add(producer.send(r));
      producer.flush();
      List<ObjectNode> lines = new ArrayList<>();
      for (Future<RecordMetadata> f : sent) {
        ObjectNode line = JSON.createObjectNode();
        try {
          RecordMetadata m = f.get();
          line.put("partition", m.partition()).put("offset", m.offset()).put("timestamp", m.timestamp());
        } catch (ExecutionException e) {
          ok = false;
          line.put("error", String.valueOf(e.getCause()));
        }
        lines.add(line);
      }
      if (transactional) {
        String endWhen = args.get("end-txn-when", null);
        if (endWhen != null) awaitFile(Path.of(endWhen));
        if (ok && args.get("txn", "commit").equals("commit")) producer.commitTransaction();
        else producer.abortTransaction();
      }
      // Printed only after the transaction ends, so a reader never acts on offsets of an open one.
      StringBuilder out = new StringBuilder();
      for (ObjectNode line : lines) out.append(JSON.writeValueAsString(line)).append('\n');
      System.out.print(out);
    }
    System.out.flush();
    System.exit(ok ? 0 : 1);
  }

  private static void awaitFile(Path path) throws InterruptedException {
    while (!Files.exists(path)) Thread.sleep(20);
  }

  private static List<ProducerRecord<byte[], byte[]>> generated(ClientArgs args) {
    String topic = args.require("topic");
    long count = args.getLong("count", 0);
    String partition = args.get("partition", null);
    String keyPrefix = args.get("key-prefix", null);
    String valuePrefix = args.get("value-prefix", "value-");
    int valueSize = (int) args.getLong("value-size", -1);
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      byte[] key = keyPrefix == null ? null : utf8(keyPrefix + i);
      StringBuilder value = new StringBuilder(valuePrefix).append(i);
      while (value.length() < valueSize) value.append('.');
      out.add(new ProducerRecord<>(topic, partition == null ? null : Integer.valueOf(partition), key, utf8(value.toString())));
    }
    return out;
  }

  private static List<ProducerRecord<byte[], byte[]>> fromStdin(String topic) throws Exception {
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isBlank()) continue;
      JsonNode n = JSON.readTree(line);
      RecordHeaders headers = new RecordHeaders();
      JsonNode h = n.get("headers");
      if (h != null) {
        for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          headers.add(e.getKey(), e.getValue().isNull() ? null : utf8(e.getValue().asText()));
        }
      }
      Integer partition = n.hasNonNull("partition") ? n.get("partition").asInt() : null;
      Long timestamp = n.hasNonNull("timestamp") ? n.get("timestamp").asLong() : null;
      out.add(new ProducerRecord<>(topic, partition, timestamp, bytes(n, "key"), bytes(n, "value"), headers));
    }
    return out;
  }

  private static byte[] bytes(JsonNode n, String field) {
    JsonNode b64 = n.get(field + "Base64");
    if (b64 != null && !b64.isNull()) return Base64.getDecoder().decode(b64.asText());
    JsonNode s = n.get(field);
    return s == null || s.isNull() ? null : utf8(s.asText());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
