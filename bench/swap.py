#!/usr/bin/python3
"""Hot-swap benchmark (issue: model lifecycle).

1. Deploy latency: time from `ferry deploy` returning to the first response served by the new
   version, over --swaps deploys alternating between two versions of bc_xgb (the shared fixture and
   the example breast-cancer model: same 30 features, different trees). A keep-alive client polls
   /infer as fast as it can and reads model_version from each answer.
2. Throughput under swaps: wrk (-t2 -c64, --duration) against the same server with no swaps, then
   while a background loop deploys the other version every 500 ms; prints both and the ratio.

wrk shares the machine's 2 cores with the server, and so do the deploy loop and this script.
Run from the repository root after `make`:  /usr/bin/python3 bench/swap.py [--swaps 20] [--duration 10]
"""
import argparse, http.client, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FERRY = os.environ.get("FERRY", os.path.join(ROOT, "build/ferry"))
SHARED = os.environ.get("SHARED", os.path.join(ROOT, "../shared"))
V1 = os.path.join(SHARED, "models/bc_xgb/model.json")
V2 = os.path.join(ROOT, "examples/models/breast_cancer/1/model.json")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ferry(*args, repo):
    return subprocess.run([FERRY, *args, "--repo", repo], check=True, capture_output=True, text=True).stdout


def request_body():
    inputs = json.load(open(os.path.join(SHARED, "models/bc_xgb/test_inputs.json")))
    return json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 30],
                                   "data": inputs["data"][:30]}]})


class Client:
    def __init__(self, port, body):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.body = body

    def version(self):
        self.conn.request("POST", "/v2/models/bc/infer", self.body, {"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"status {resp.status}: {data[:200]!r}")
        return json.loads(data)["model_version"]


def deploy_latency(repo, client, swaps):
    current = client.version()
    samples = []
    for i in range(swaps):
        target = "2" if current == "1" else "1"
        ferry("deploy", "bc", target, "--reason", f"bench swap {i}", repo=repo)
        t0 = time.perf_counter()
        while client.version() != target:
            if time.perf_counter() - t0 > 10:
                raise RuntimeError(f"version {target} not served 10 s after deploy")
        samples.append((time.perf_counter() - t0) * 1000)
        current = target
        time.sleep(0.2)
    return samples


def wrk(port, duration, body_file):
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{duration}s", "-s", os.path.join(ROOT, "bench/post.lua"),
                          f"http://127.0.0.1:{port}/v2/models/bc/infer"],
                         env={**os.environ, "BODY_FILE": body_file}, check=True, capture_output=True,
                         text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, int(bad.group(1)) if bad else 0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--swaps", type=int, default=20)
    ap.add_argument("--duration", type=int, default=10)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ferry-swap-")
    repo = os.path.join(tmp, "repo")
    os.mkdir(repo)
    ferry("register", "bc", V1, "--create", repo=repo)
    ferry("register", "bc", V2, repo=repo)
    body_file = os.path.join(tmp, "request.json")
    open(body_file, "w").write(request_body())
    port = free_port()
    server = subprocess.Popen([FERRY, "serve", "--repo", repo, "--http-port", str(port), "--log-level", "warn",
                               "--state", os.path.join(tmp, "state")], stderr=open(os.path.join(tmp, "server.log"), "w"))
    try:
        deadline = time.time() + 10
        while True:
            try:
                client = Client(port, request_body())
                client.version()
                break
            except (OSError, RuntimeError, http.client.HTTPException):
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        lat = sorted(deploy_latency(repo, client, args.swaps))
        print(f"deploy -> first response from the new version over {len(lat)} deploys: "
              f"median {lat[len(lat) // 2]:.1f} ms, max {lat[-1]:.1f} ms, min {lat[0]:.1f} ms")
        base, base_bad, _ = wrk(port, args.duration, body_file)
        stop = time.time() + args.duration + 1
        swapper = subprocess.Popen([sys.executable, "-c", f"""
import subprocess, time
v = '1'
while time.time() < {stop}:
    v = '2' if v == '1' else '1'
    subprocess.run([{FERRY!r}, 'deploy', 'bc', v, '--repo', {repo!r}], capture_output=True)
    time.sleep(0.5)
"""])
        swapped, swapped_bad, _ = wrk(port, args.duration, body_file)
        swapper.wait()
        print(f"wrk -t2 -c{64} -d{args.duration}s: no swaps {base:.0f} req/s ({base_bad} non-2xx); "
              f"deploy every 500 ms {swapped:.0f} req/s ({swapped_bad} non-2xx); ratio {swapped / base:.2f}x")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
