// Argument parsing shared by the test clients: "--name value" options (repeatable ones collect
// every value) and "--prop key=value" client configs passed straight to the Kafka client, so a
// test can try any producer or consumer setting without changing Java code.
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

final class ClientArgs {
  private final Map<String, List<String>> options = new HashMap<>();
  final Properties props = new Properties();

  ClientArgs(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (!name.startsWith("--")) throw new IllegalArgumentException("expected --option, got " + name);
      if (i + 1 >= args.length) throw new IllegalArgumentException(name + " needs a value");
      String value = args[++i];
      if (name.equals("--prop")) {
        int eq = value.indexOf('=');
        if (eq < 1) throw new IllegalArgumentException("--prop wants key=value, got " + value);
        props.setProperty(value.substring(0, eq), value.substring(eq + 1));
      } else {
        options.computeIfAbsent(name.substring(2), k -> new ArrayList<>()).add(value);
      }
    }
  }

  String get(String name, String fallback) {
    List<String> v = options.get(name);
    return v == null ? fallback : v.get(v.size() - 1);
  }

  String require(String name) {
    String v = get(name, null);
    if (v == null) throw new IllegalArgumentException("--" + name + " is required");
    return v;
  }

  long getLong(String name, long fallback) {
    String v = get(name, null);
    return v == null ? fallback : Long.parseLong(v);
  }

  List<String> all(String name) {
    return options.getOrDefault(name, List.of());
  }
}
