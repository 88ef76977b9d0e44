// A training run for the JVM's class-data sharing (AppCDS) archive that test/peers/cds.ts makes
// once per machine: it loads the classes that the tools and test clients need (admin client,
// producer, consumer, TopicCommand, Jackson, log4j2) by exercising them against a port where
// nothing listens, so the dump covers all of them. Starting a tool JVM from that archive takes
// about half the time, and the tests start dozens of them.
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.tools.TopicCommand;

public final class CdsTraining {
  // Port 1 on loopback: connections are refused at once, so every call fails fast.
  private static final String DEAD = "127.0.0.1:1";

  /**
   * Kafka's tools end through Exit.exit: that becomes an exception, so all of them can run here.
   * Exit moved to an internals package in Kafka 4.1; the compatibility run uses 3.9's.
   */
  private static void trapExit() throws Exception {
    Class<?> exit;
    try {
      exit = Class.forName("org.apache.kafka.common.utils.internals.Exit");
    } catch (ClassNotFoundException e) {
      exit = Class.forName("org.apache.kafka.common.utils.Exit");
    }
    Class<?> procedure = Class.forName(exit.getName() + "$Procedure");
    Object trap = Proxy.newProxyInstance(procedure.getClassLoader(), new Class<?>[] {procedure}, (proxy, method, a) -> {
      switch (method.getName()) {
        case "execute": throw new IllegalStateException("exit " + a[0]);
        case "hashCode": return System.identityHashCode(proxy);
        case "equals": return proxy == a[0];
        default: return "exit trap";
      }
    });
    exit.getMethod("setExitProcedure", procedure).invoke(null, trap);
  }

  public static void main(String[] args) throws Exception {
    trapExit();
    Path cfg = Files.createTempFile("cds-training", ".properties");
    Files.writeString(cfg, "request.timeout.ms=200\ndefault.api.timeout.ms=300\n");
    quietly(() -> TopicCommand.main("--bootstrap-server", DEAD, "--list", "--command-config", cfg.toString()));
    Files.deleteIfExists(cfg);

    Properties common = new Properties();
    common.put("bootstrap.servers", DEAD);
    common.put("request.timeout.ms", "200");
    common.put("default.api.timeout.ms", "300");

    Properties p = new Properties();
    p.putAll(common);
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    p.put("max.block.ms", "200");
    quietly(() -> {
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
        producer.send(new ProducerRecord<>("t", new byte[1])).get(300, TimeUnit.MILLISECONDS);
      }
    });

    Properties c = new Properties();
    c.putAll(common);
    c.put("key.deserializer", ByteArrayDeserializer.class.getName());
    c.put("value.deserializer", ByteArrayDeserializer.class.getName());
    quietly(() -> {
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c);
      try {
        consumer.assign(List.of(new TopicPartition("t", 0)));
        consumer.seekToBeginning(List.of(new TopicPartition("t", 0)));
        consumer.poll(Duration.ofMillis(200));
      } finally {
        consumer.close(Duration.ZERO);
      }
    });

    quietly(() -> {
      Admin admin = Admin.create(common);
      try {
        admin.listTopics().names().get(300, TimeUnit.MILLISECONDS);
      } finally {
        admin.close(Duration.ZERO);
      }
    });

    new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(Map.of("k", List.of(1, "v"))));
    System.exit(0);
  }

  interface Step {
    void run() throws Exception;
  }

  private static void quietly(Step step) {
    try {
      step.run();
    } catch (Throwable expected) {
      // Every step fails by design (nothing listens); loading the classes was the point.
    }
  }
}
