#!/usr/bin/env bash
# Runs the full tidings-bench matrix and writes the results under
# docs/bench/: results.jsonl (one line per scenario, as the bench printed
# it), results.json, results.csv (steady state), table.md and the chart
# deliveries_p99.png (deliveries/s and p99 against subscriber count,
# Tidings vs the bare axum + broadcast baseline).
#
# Matrix: 1000, 2000, 5000, 10000 subscribers on one topic at 100 and 1000
# publishes/s (BENCH_DURATION_S seconds of publishing each, default 5),
# idle RSS over 5000 connections, and a 5000-client reconnect storm.
# Every load goes to 127.0.0.1 only; each scenario has a hard time limit
# and kills its server children when it ends. Override the matrix with
# BENCH_SUBSCRIBERS, BENCH_RATES, BENCH_IDLE, BENCH_STORM, BENCH_TIMEOUT_S;
# BENCH_CHART_ONLY=1 redraws the table and chart from results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-env.sh
subs="${BENCH_SUBSCRIBERS:-1000 2000 5000 10000}"
idle="${BENCH_IDLE:-5000}"

if [ "${BENCH_CHART_ONLY:-}" = "" ]; then
build_bench
jsonl="$out/results.jsonl"
: > "$jsonl"

# A failed scenario is recorded and the matrix goes on.
record_failure() {
  printf '{"scenario":"%s","params":"%s","error":"exit status %s"}\n' "$1" "$2" "$3" >> "$jsonl"
}

for n in $subs; do
  for r in $rates; do
    echo "== steady: $n subscribers, $r msg/s, ${duration}s"
    "$bin" steady --subscribers "$n" --rate "$r" --duration-s "$duration" --timeout-s "$timeout" --json-out "$jsonl" \
      || record_failure steady "subscribers=$n rate=$r" $?
  done
done
echo "== idle RSS: $idle connections"
"$bin" idle-rss --connections "$idle" --timeout-s "$timeout" --json-out "$jsonl" || record_failure idle_rss "connections=$idle" $?
echo "== reconnect storm: $storm clients"
"$bin" storm --clients "$storm" --timeout-s "$timeout" --json-out "$jsonl" || record_failure storm "clients=$storm" $?
fi
jsonl="$out/results.jsonl"

python3 -m pip install --quiet matplotlib
python3 - "$jsonl" "$out" <<'PY'
import csv, json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

jsonl, out = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(jsonl) if l.strip()]
json.dump(rows, open(f"{out}/results.json", "w"), indent=1)

steady = [r for r in rows if r.get("scenario") == "steady" and "tidings" in r]
fields = ["subscribers", "rate", "server", "deliveries_per_s", "p50_us", "p90_us", "p99_us",
          "max_us", "expected", "delivered", "lost", "closed_early", "server_cpu_pct",
          "rss_subscribed_kib"]
with open(f"{out}/results.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(fields + ["ratio_deliveries_per_s", "ratio_p99"])
    for r in steady:
        for side in ("tidings", "baseline"):
            s = r[side]
            w.writerow([s[k] for k in fields] + [round(r["ratio_deliveries_per_s"], 3), round(r["ratio_p99"], 3)])

ms = lambda us: f"{us / 1000:.1f}"
lines = ["| subscribers | msg/s | acked tidings / baseline | deliveries/s tidings | baseline | ratio | p99 ms tidings | baseline | ratio | p50 ms tidings / baseline | lost tidings / baseline | server CPU tidings / baseline |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for r in steady:
    t, b = r["tidings"], r["baseline"]
    lines.append(f"| {t['subscribers']} | {t['rate']} | {t['acked']} / {b['acked']} | {t['deliveries_per_s']:.0f} | {b['deliveries_per_s']:.0f} | "
                 f"{r['ratio_deliveries_per_s']:.2f} | {ms(t['p99_us'])} | {ms(b['p99_us'])} | {r['ratio_p99']:.2f} | "
                 f"{ms(t['p50_us'])} / {ms(b['p50_us'])} | {t['lost']} / {b['lost']} | "
                 f"{t['server_cpu_pct']:.0f}% / {b['server_cpu_pct']:.0f}% |")
for r in rows:
    if r.get("scenario") == "idle_rss" and "tidings" in r:
        t, b = r["tidings"], r["baseline"]
        lines.append("")
        lines.append(f"Idle RSS ({t['connections']} connections): tidings {t['bytes_per_connection'] / 1024:.1f} KiB "
                     f"per connection, baseline {b['bytes_per_connection'] / 1024:.1f} KiB.")
    if r.get("scenario") == "storm" and "tidings" in r:
        s = r["tidings"]
        lines.append("")
        lines.append(f"Reconnect storm ({s['clients']} clients, {s['rate']} msg/s): {s['resubscribed']}/{s['clients']} "
                     f"resubscribed {s['resume_s']:.2f} s after SIGKILL (new process listening after {s['restart_s']:.2f} s); "
                     f"lost after resubscribe {s['lost_after_resubscribe']}, lost in the new epoch {s['lost_in_new_epoch']}, "
                     f"gap frames {s['gap_frames']}, lost to the restart (old epoch, in-memory history) {s['lost_to_restart']}, "
                     f"disconnects after resubscribe {s['extra_disconnects']}.")
    if "error" in r:
        lines.append("")
        lines.append(f"FAILED: {r['scenario']} {r.get('params', '')}: {r['error']}")
open(f"{out}/table.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))

fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
for rate, style in ((100, "o"), (1000, "s")):
    pts = sorted((r for r in steady if r["tidings"]["rate"] == rate), key=lambda r: r["tidings"]["subscribers"])
    if not pts:
        continue
    x = [r["tidings"]["subscribers"] for r in pts]
    for side, ls in (("tidings", "-"), ("baseline", "--")):
        a1.plot(x, [r[side]["deliveries_per_s"] for r in pts], ls, marker=style, label=f"{side} {rate} msg/s")
        a2.plot(x, [r[side]["p99_us"] / 1000 for r in pts], ls, marker=style, label=f"{side} {rate} msg/s")
a1.set(title="deliveries/s", xlabel="subscribers on one topic", ylabel="deliveries per second")
a2.set(title="publish → deliver latency p99", xlabel="subscribers on one topic", ylabel="ms (log)", yscale="log")
for a in (a1, a2):
    a.grid(True, alpha=0.3)
    a.legend(fontsize=8)
fig.suptitle("tidings vs bare axum + broadcast (2 cores shared with the load generator, loopback)", fontsize=10)
fig.tight_layout()
fig.savefig(f"{out}/deliveries_p99.png", dpi=110)
print(f"wrote {out}/results.json, results.csv, table.md, deliveries_p99.png")
PY

# The same with the Redis backplane, and its ratio to the in-memory runs.
if [ "${BENCH_CHART_ONLY:-}" = "" ] && [ "${BENCH_SKIP_REDIS:-}" = "" ]; then
  bash scripts/bench-redis.sh
fi
