#!/usr/bin/env python3
"""Load for `acclimate serve`: N requests from C concurrent clients (one keep-alive connection each)
against POST /v1/predict (or /v1/embed); prints requests/s, texts/s and latency percentiles.

  python3 bench/serve-load.py --url http://127.0.0.1:8080 --requests 200 --clients 16

Texts: --input FILE (one text per line) or a built-in set of short news-like sentences; request i
sends --texts-per-request texts starting at line i. Every answer must be 200 with one result per
text, or the script exits 1 naming the first failure. Standard library only."""
import argparse, http.client, json, statistics, sys, threading, time, urllib.parse

SENTENCES = [
    "John Smith flew from Paris to New York to meet Mary at the United Nations.",
    "Angela Merkel visited Washington on Tuesday.",
    "Manchester United beat Arsenal 2-1 at Old Trafford.",
    "The Eiffel Tower is in Paris, France.",
    "Tim Cook said Apple will open a new office in Berlin.",
    "Heavy rain hit Mumbai and Delhi this week.",
    "Barack Obama spoke at Harvard University in Cambridge.",
    "Google and Microsoft reported earnings on Thursday.",
]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--path", default="/v1/predict")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--texts-per-request", type=int, default=1)
    ap.add_argument("--input")
    args = ap.parse_args()
    texts = [l.rstrip("\n") for l in open(args.input, encoding="utf-8") if l.strip()] if args.input else SENTENCES
    url = urllib.parse.urlparse(args.url)
    bodies = [json.dumps({"texts": [texts[(i + k) % len(texts)] for k in range(args.texts_per_request)]}).encode()
              for i in range(args.requests)]
    latencies = [None] * args.requests
    failures = []
    next_index = [0]
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=120)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= args.requests:
                break
            start = time.perf_counter()
            conn.request("POST", args.path, body=bodies[i], headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            latencies[i] = time.perf_counter() - start
            if response.status != 200:
                failures.append(f"request {i}: HTTP {response.status}: {payload[:200]!r}")
                continue
            answer = json.loads(payload)
            count = len(answer.get("results", answer.get("embeddings", [])))
            if count != args.texts_per_request:
                failures.append(f"request {i}: {count} results for {args.texts_per_request} texts")
        conn.close()

    # One warm-up request (JIT, first allocation) outside the timing.
    warm = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=120)
    warm.request("POST", args.path, body=bodies[0], headers={"Content-Type": "application/json"})
    warm.getresponse().read()
    warm.close()

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    wall = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    wall = time.perf_counter() - wall
    if failures:
        print("FAILED:", failures[0], f"({len(failures)} failures)", file=sys.stderr)
        sys.exit(1)
    ms = sorted(1000 * l for l in latencies)
    pct = lambda p: ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]
    print(f"{args.requests} requests x {args.texts_per_request} text(s), {args.clients} clients, {args.path}: "
          f"{args.requests / wall:.1f} requests/s, {args.requests * args.texts_per_request / wall:.1f} texts/s, "
          f"latency p50 {pct(50):.1f} ms, p95 {pct(95):.1f} ms, p99 {pct(99):.1f} ms, max {ms[-1]:.1f} ms (wall {wall:.2f} s)")

if __name__ == "__main__":
    main()
