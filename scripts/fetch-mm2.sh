#!/usr/bin/env bash
# Fetches Kafka's MirrorMaker 2 (org.apache.kafka:connect-mirror, run in dedicated mode by its main
# class org.apache.kafka.connect.mirror.MirrorMaker) with all runtime dependencies through Maven
# into a cache dir of its own, and prints that dir's libs/ path as the last line of stdout. Only
# bench/link-vs-mm2.ts needs it; the brokers and tools come from fetch-kafka.sh.
#
# Why not 4.0.1 like the brokers: the registry reachable here does not serve connect-api,
# connect-json nor connect-transforms 4.0.1. The whole Connect set must come from one release
# (MirrorMaker runs on connect-runtime, which checks nothing but breaks in odd ways when mixed),
# so a served 4.0.x release is used for all of it, kafka-clients included. It is the same 4.0
# protocol line as the 4.0.1 brokers it talks to.
#
# Env: OUTPOST_CACHE (default ~/.cache/kafka-outpost), OUTPOST_MM2_VERSION (default 4.0.2; 4.0.0
# is tried if it does not resolve).
set -euo pipefail

name=mm2
wanted="${OUTPOST_MM2_VERSION:-4.0.2}"
fallback="4.0.0"
# Kafka 4.0's own log4j2 release; log4j-slf4j-impl binds the slf4j 1.7 that Connect logs through.
log4j_version="2.24.3"
# Bump when the pom below changes, so stale caches are rebuilt rather than trusted.
layout="1"

deps() {
  local version="$1"
  cat <<EOF
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-mirror</artifactId><version>$version</version></dependency>
    <!-- Pinned so that Maven's nearest-wins picks cannot mix releases. -->
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-mirror-client</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-api</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-json</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-transforms</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$log4j_version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$log4j_version</version></dependency>
EOF
}

# A second slf4j binding (e.g. reload4j from a transitive dependency) would make slf4j pick one at
# random and could silence the log the bench shows on failure.
tidy() {
  rm -f "$1"/slf4j-reload4j-*.jar "$1"/slf4j-log4j12-*.jar "$1"/reload4j-*.jar
}

source "$(dirname "$0")/maven-libs.sh"
maven_libs
