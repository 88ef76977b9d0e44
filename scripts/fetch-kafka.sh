#!/usr/bin/env bash
# Fetches Apache Kafka (broker, tools, clients and a log4j2 binding) with all runtime dependencies
# through Maven into a cache dir, and prints that dir's libs/ path as the last line of stdout.
# The test peers (test/peers/kafka.ts) call this, so a fresh machine fetches on first use and every
# later call returns at once from the marker file.
#
# Why Maven and not the binary tarball: the only network reachable here is the package registries,
# and Maven Central carries every jar of the distribution.
#
# Env: OUTPOST_CACHE (default ~/.cache/kafka-outpost), OUTPOST_KAFKA_VERSION (default 4.4.0; the
# compatibility run sets 3.9.1).
set -euo pipefail

name=kafka
wanted="${OUTPOST_KAFKA_VERSION:-4.4.0}"
# No fallback: the tests compare outpost with exactly this release.
fallback="$wanted"
# A log4j2 binding for the tools and broker; log4j-slf4j-impl binds the slf4j 1.7 API the jars log through.
log4j_version="2.24.3"
# Bump when deps change, so stale caches are rebuilt rather than trusted.
layout="3"

deps() {
  local version="$1"
  cat <<EOF
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version>
      <!-- Kafka Connect is not needed (only ConnectPluginPath uses it), and the registry reachable
           here has not always served connect-api/json/transforms: without this a release may not resolve. -->
      <exclusions><exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion></exclusions>
    </dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>$version</version></dependency>
    <!-- Kafka Streams, for the exactly-once application the transaction tests run. -->
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-streams</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$log4j_version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$log4j_version</version></dependency>
EOF
}

source "$(dirname "$0")/maven-libs.sh"
maven_libs
