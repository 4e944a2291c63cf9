#!/usr/bin/env bash
# The benchmark with the Redis backplane: starts a redis-server on a free
# loopback port (stopped at exit), runs tidings-bench's steady state at
# 5000 subscribers (100 and 1000 msg/s) and the 5000-client reconnect storm
# with --redis-url, and writes docs/bench/results-redis.jsonl and a table
# (docs/bench/table-redis.md) with the ratio to the in-memory runs of
# docs/bench/results.jsonl. Called by scripts/bench.sh; runs alone too.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-env.sh
subs="${BENCH_REDIS_SUBSCRIBERS:-5000}"
build_bench

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" \
  --daemonize yes --pidfile "$dir/pid" --logfile "$dir/log"
trap 'kill "$(cat "$dir/pid")" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
url="redis://127.0.0.1:$port"

jsonl="$out/results-redis.jsonl"
: > "$jsonl"
for n in $subs; do
  for r in $rates; do
    echo "== steady with Redis: $n subscribers, $r msg/s, ${duration}s"
    "$bin" steady --subscribers "$n" --rate "$r" --duration-s "$duration" --timeout-s "$timeout" \
      --server-arg=--redis-url="$url" --json-out "$jsonl" || echo "steady $n/$r failed: $?"
  done
done
echo "== reconnect storm with Redis: $storm clients"
"$bin" storm --clients "$storm" --timeout-s "$timeout" --server-arg=--redis-url="$url" \
  --json-out "$jsonl" || echo "storm failed: $?"

python3 - "$out/results.jsonl" "$jsonl" "$out/table-redis.md" <<'PY'
import json, sys
mem = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
red = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
def steady(rows):
    return {(r["tidings"]["subscribers"], r["tidings"]["rate"]): r
            for r in rows if r.get("scenario") == "steady" and "tidings" in r}
m, r = steady(mem), steady(red)
ms = lambda us: f"{us / 1000:.1f}"
lines = ["| subscribers | msg/s | deliveries/s Redis | in memory | baseline | Redis / in memory | Redis / baseline | p99 ms Redis | in memory | baseline | lost Redis |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for key in sorted(r):
    t, b = r[key]["tidings"], r[key]["baseline"]
    mm = m.get(key, {}).get("tidings")
    lines.append(f"| {key[0]} | {key[1]} | {t['deliveries_per_s']:.0f} | "
                 f"{mm['deliveries_per_s']:.0f} | " if mm else f"| {key[0]} | {key[1]} | {t['deliveries_per_s']:.0f} | – | ")
    lines[-1] += (f"{b['deliveries_per_s']:.0f} | "
                  + (f"{t['deliveries_per_s'] / mm['deliveries_per_s']:.2f} | " if mm else "– | ")
                  + f"{t['deliveries_per_s'] / b['deliveries_per_s']:.2f} | {ms(t['p99_us'])} | "
                  + (f"{ms(mm['p99_us'])} | " if mm else "– | ")
                  + f"{ms(b['p99_us'])} | {t['lost']} |")
for row in red:
    if row.get("scenario") == "storm" and "tidings" in row:
        s = row["tidings"]
        lines.append("")
        lines.append(f"Reconnect storm with Redis ({s['clients']} clients, {s['rate']} msg/s): "
                     f"{s['resubscribed']}/{s['clients']} resubscribed {s['resume_s']:.2f} s after SIGKILL; "
                     f"lost after resubscribe {s['lost_after_resubscribe']}, lost in all {s['lost_in_new_epoch']}, lost to the restart {s['lost_to_restart']}, "
                     f"gap frames {s['gap_frames']}, epoch changed: {str(s['epoch_changed']).lower()}.")
open(sys.argv[3], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
