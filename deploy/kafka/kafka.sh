#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft) on 127.0.0.1, from the jars on Maven Central.
#
#   deploy/kafka/kafka.sh install          fetch the jars (cached in $ECOWIRE_KAFKA_LIB)
#   deploy/kafka/kafka.sh start [DATA_DIR] format once, start in the background, wait until it answers
#   deploy/kafka/kafka.sh stop  [DATA_DIR] stop cleanly (SIGTERM, then wait)
#   deploy/kafka/kafka.sh status [DATA_DIR]
#   deploy/kafka/kafka.sh run [DATA_DIR]   start in the foreground
#
# Settings (environment): KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (19093), KAFKA_HEAP
# ("-Xms512m -Xmx1g"), KAFKA_HOME (use an existing Kafka distribution's libs/ instead of Maven),
# ECOWIRE_KAFKA_LIB (jar cache, default ~/.cache/ecowire/kafka-<version>).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
port=${KAFKA_PORT:-19092}
cport=${KAFKA_CONTROLLER_PORT:-19093}
heap=${KAFKA_HEAP:--Xms512m -Xmx1g}
lib=${ECOWIRE_KAFKA_LIB:-$HOME/.cache/ecowire/kafka-$version}
[ -n "${KAFKA_HOME:-}" ] && lib="$KAFKA_HOME/libs"
cmd=${1:-}
data=${2:-${KAFKA_DATA_DIR:-$here/../../.kafka-data}}

log() { printf 'kafka.sh: %s\n' "$*" >&2; }

install() {
  if [ -f "$lib/kafka_2.13-$version.jar" ] || [ -n "${KAFKA_HOME:-}" ]; then return 0; fi
  command -v mvn >/dev/null || { log "Maven is needed to fetch Kafka $version (or set KAFKA_HOME)"; exit 1; }
  log "fetching Apache Kafka $version jars from Maven Central into $lib"
  mkdir -p "$lib.tmp"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$lib.tmp" -DincludeScope=runtime
  rm -rf "$lib" && mv "$lib.tmp" "$lib"
}

jvm_args() {
  command -v java >/dev/null || { log "Java 17+ is needed"; exit 1; }
  local -a heapargs; read -r -a heapargs <<< "$heap"
  JVM=(java "${heapargs[@]}" -XX:+UseG1GC -Djava.awt.headless=true
       -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$data/logs"
       -cp "$lib/*")
}

kjava() { jvm_args; "${JVM[@]}" "$@"; }

write_config() {
  mkdir -p "$data/logs"
  cat > "$data/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data/log
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
EOF
}

format() {
  [ -f "$data/log/meta.properties" ] && return 0
  write_config
  local id
  id=$(kjava kafka.tools.StorageTool random-uuid)
  kjava kafka.tools.StorageTool format --standalone -t "$id" -c "$data/server.properties" >/dev/null
  log "formatted $data/log (cluster $id)"
}

pidfile() { echo "$data/kafka.pid"; }

running() { [ -f "$(pidfile)" ] && kill -0 "$(cat "$(pidfile)")" 2>/dev/null; }

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

wait_ready() {
  # A listening socket is not enough: wait until the broker's metadata answers a client.
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  while (( SECONDS < deadline )); do
    if ! running; then log "broker exited; see $data/logs/server.log"; tail -20 "$data/logs/server.log" >&2 || true; return 1; fi
    if answers && grep -q "Kafka Server started" "$data/logs/server.log" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  log "broker did not answer within ${KAFKA_START_TIMEOUT:-90}s"; return 1
}

start() {
  install
  if running; then log "already running (pid $(cat "$(pidfile)")) on 127.0.0.1:$port"; return 0; fi
  if answers; then log "something already answers on 127.0.0.1:$port (another data dir's broker?); using it"; return 0; fi
  write_config; format
  : > "$data/logs/server.log"
  jvm_args
  nohup "${JVM[@]}" kafka.Kafka "$data/server.properties" >>"$data/logs/stdout.log" 2>&1 &
  echo $! > "$(pidfile)"
  wait_ready
  log "Kafka $version ready on 127.0.0.1:$port (pid $(cat "$(pidfile)"), data $data)"
}

stop() {
  running || { log "not running"; rm -f "$(pidfile)"; return 0; }
  local pid; pid=$(cat "$(pidfile)")
  kill -TERM "$pid"
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "no clean stop within 60s; killing"; kill -KILL "$pid"; fi
  rm -f "$(pidfile)"; log "stopped"
}

case "$cmd" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running pid $(cat "$(pidfile)") 127.0.0.1:$port"; else echo "stopped"; exit 3; fi ;;
  run) install; write_config; format; jvm_args; exec "${JVM[@]}" kafka.Kafka "$data/server.properties" ;;
  version) echo "$version" ;;
  *) sed -n '2,13p' "$0"; exit 2 ;;
esac
