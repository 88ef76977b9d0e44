// A Kafka Streams word count under processing.guarantee=exactly_once_v2: --input lines are split
// into words, regrouped by word (a repartition topic), counted in a state store (a changelog
// topic) with record caching off, so every word read emits its new count to --output as text.
// Read committed, the output then holds each word's counts 1..n exactly once, however often the
// application or its broker was killed. Prints {"state":"RUNNING"} etc. as the application's
// state changes; runs until it is stopped (SIGTERM closes it cleanly, SIGKILL does not).
// Options: --bootstrap, --app-id, --state-dir, --input, --output; client configs as --prop k=v.
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

public final class WordCountEos {
  public static void main(String[] argv) throws Exception {
    ClientArgs args;
    try {
      args = new ClientArgs(argv);
      args.require("bootstrap");
    } catch (IllegalArgumentException e) {
      System.err.println("WordCountEos: " + e.getMessage());
      System.exit(2);
      return;
    }
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, args.require("app-id"));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args.require("bootstrap"));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, "exactly_once_v2");
    p.put(StreamsConfig.STATE_DIR_CONFIG, args.require("state-dir"));
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    p.put("statestore.cache.max.bytes", "0");
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
    p.putAll(args.props);

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(args.require("input"), Consumed.with(Serdes.String(), Serdes.String()))
        .flatMapValues(line -> Arrays.asList(line.split(" ")))
        .groupBy((key, word) -> word, Grouped.with("words", Serdes.String(), Serdes.String()))
        .count(Materialized.as("counts"))
        .toStream()
        .mapValues(count -> Long.toString(count))
        .to(args.require("output"), Produced.with(Serdes.String(), Serdes.String()));

    KafkaStreams streams = new KafkaStreams(builder.build(), p);
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      System.out.println("{\"state\":\"" + now + "\"}");
      System.out.flush();
      if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) stopped.countDown();
    });
    streams.setUncaughtExceptionHandler(e -> {
      e.printStackTrace();
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(streams::close));
    streams.start();
    stopped.await();
  }
}
