// Consumes records with the real Java consumer and prints one JSON line per record:
//   {"topic","partition","offset","timestamp","timestampType","leaderEpoch","key","value","headers":[{"key","value"}]}
// key/value/header values are UTF-8 text, or base64 with --encoding base64 (for binary data).
// Without --group the consumer assigns itself --partition P (repeatable; default: every partition
// of --topic) from --offset N|earliest|latest (default earliest); with --group G it subscribes to
// --topic (auto.offset.reset defaults to earliest) and --commit true commits before closing.
// It stops after --max N records, or with --to-end true once it has reached the end offsets
// seen at start (the last stable offset under --prop isolation.level=read_committed), or after
// --timeout-ms (default 10000). Exit code: 0 when --max or --to-end was met (or neither was
// asked for), 3 when the time ran out first, 2 on bad arguments.
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class ConsumeRecords {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] argv) throws Exception {
    ClientArgs args;
    try {
      args = new ClientArgs(argv);
      args.require("topic");
      args.require("bootstrap");
    } catch (IllegalArgumentException e) {
      System.err.println("ConsumeRecords: " + e.getMessage());
      System.exit(2);
      return;
    }
    String topic = args.require("topic");
    String group = args.get("group", null);
    long max = args.getLong("max", -1);
    boolean toEnd = Boolean.parseBoolean(args.get("to-end", "false"));
    long deadline = System.currentTimeMillis() + args.getLong("timeout-ms", 10_000);
    boolean base64 = args.get("encoding", "utf8").equals("base64");
    args.props.putIfAbsent("bootstrap.servers", args.require("bootstrap"));
    args.props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    args.props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    if (group != null) {
      args.props.put("group.id", group);
      args.props.putIfAbsent("auto.offset.reset", "earliest");
    } else {
      args.props.putIfAbsent("enable.auto.commit", "false");
    }

    long seen = 0;
    boolean met = max < 0 && !toEnd;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(args.props)) {
      if (group != null) {
        consumer.subscribe(List.of(topic));
      } else {
        List<TopicPartition> tps = new ArrayList<>();
        for (String p : args.all("partition")) tps.add(new TopicPartition(topic, Integer.parseInt(p)));
        if (tps.isEmpty()) {
          for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofMillis(Math.max(1, deadline - System.currentTimeMillis())))) {
            tps.add(new TopicPartition(topic, p.partition()));
          }
        }
        consumer.assign(tps);
        String offset = args.get("offset", "earliest");
        if (offset.equals("earliest")) consumer.seekToBeginning(tps);
        else if (offset.equals("latest")) consumer.seekToEnd(tps);
        else for (TopicPartition tp : tps) consumer.seek(tp, Long.parseLong(offset));
      }
      // End offsets are fetched per partition as it is first assigned, so group mode works too.
      Map<TopicPartition, Long> ends = new HashMap<>();
      StringBuilder out = new StringBuilder();
      while (!met && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (max >= 0 && seen >= max) break;
          out.append(JSON.writeValueAsString(toJson(r, base64))).append('\n');
          seen++;
        }
        System.out.print(out);
        out.setLength(0);
        if (max >= 0 && seen >= max) met = true;
        if (toEnd && !met) met = reachedEnd(consumer, ends);
      }
      if (group != null && Boolean.parseBoolean(args.get("commit", "false"))) consumer.commitSync();
    }
    System.out.flush();
    System.err.println("ConsumeRecords: " + seen + " records" + (met ? "" : " (timed out)"));
    System.exit(met ? 0 : 3);
  }

  private static boolean reachedEnd(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> ends) {
    Set<TopicPartition> assigned = consumer.assignment();
    if (assigned.isEmpty()) return false;
    List<TopicPartition> unknown = new ArrayList<>();
    for (TopicPartition tp : assigned) if (!ends.containsKey(tp)) unknown.add(tp);
    if (!unknown.isEmpty()) ends.putAll(consumer.endOffsets(unknown));
    for (TopicPartition tp : assigned) if (consumer.position(tp) < ends.get(tp)) return false;
    return true;
  }

  private static ObjectNode toJson(ConsumerRecord<byte[], byte[]> r, boolean base64) {
    ObjectNode n = JSON.createObjectNode();
    n.put("topic", r.topic()).put("partition", r.partition()).put("offset", r.offset());
    n.put("timestamp", r.timestamp()).put("timestampType", r.timestampType().name);
    if (r.leaderEpoch().isPresent()) n.put("leaderEpoch", r.leaderEpoch().get());
    else n.putNull("leaderEpoch");
    n.put("key", text(r.key(), base64));
    n.put("value", text(r.value(), base64));
    ArrayNode headers = n.putArray("headers");
    for (Header h : r.headers()) headers.addObject().put("key", h.key()).put("value", text(h.value(), base64));
    return n;
  }

  private static String text(byte[] b, boolean base64) {
    if (b == null) return null;
    return base64 ? Base64.getEncoder().encodeToString(b) : new String(b, StandardCharsets.UTF_8);
  }
}
