"""WeCom smart-robot callbacks through the real server: verify + decrypt + dispatch + encrypt.

    .venv/bin/python bench/wecom.py [--groups 100] [--members 100] [--clients 100] [--rates 500,1000]

`studybot run`'s own code path (bot.service.serve with the wecom channel from the registry,
uvicorn, SQLite on disk) runs in a child process; this process plays WeCom: every callback is
encrypted and signed with wechatpy beforehand, and `--clients` keep-alive connections POST them
on loopback. Groups × members join (chatter: no reply), every group starts a contest, then:

  saturation   every member answers question 1, each client sending its next callback as soon as
               the reply is in (closed loop): the most callbacks per second the server gives;
  paced        for each of `--rates`, every member answers the next question at that many
               callbacks/s offered (open loop, spread over the clients), as WeCom's callbacks
               arrive; latency counts from when a callback was due, so a server that falls
               behind shows it. (With 100 clients in a closed loop, Little's law ties latency to
               throughput: 100 in flight at 1,000/s is 100 ms each, whatever the code does.)

Each answer gets an encrypted stream reply (a sample is decrypted and checked); the last answer
in a group closes the question, and its reply carries the reveal and the next question's card.
Server CPU per callback is read from /proc. Goal: >= 1,000 callbacks/s, and p99 < 50 ms with
1,000/s offered."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TOKEN = "bench-robot-token"
AES_KEY = "kWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
PATH = "/wecom/robot"
GOAL_RATE, GOAL_P99_MS = 1000, 50.0


# ----- the server (child process) -----

def serve(directory: Path, port: int, questions: int) -> None:
    import logging

    from bot.app import build_app
    from bot.channels.registry import add_platform_channels
    from bot.service import serve as run_service
    from bot.settings import load_settings

    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    overrides = {
        "database": {"url": f"sqlite:///{directory}/bench.db"},
        "quizzes": {"bank_dirs": [str(directory / "banks")], "sample_bank": False,
                    "questions_per_contest": questions},
        "server": {"host": "127.0.0.1", "port": port},
        "wecom": {"robot": {"mode": "callback", "token": TOKEN, "encoding_aes_key": AES_KEY}},
    }
    app = build_app(load_settings(Path("/dev/null"), overrides), seed=1)
    add_platform_channels(app)
    asyncio.run(run_service(app))


# ----- WeCom's side -----

class Wire:
    def __init__(self) -> None:
        from wechatpy.crypto import WeChatCrypto

        self.crypto = WeChatCrypto(TOKEN, AES_KEY, "")

    def request(self, payload: dict, port: int) -> bytes:
        import xmltodict

        ts, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        envelope = xmltodict.parse(self.crypto.encrypt_message(json.dumps(payload, ensure_ascii=False), nonce, ts))
        body = json.dumps({"encrypt": envelope["xml"]["Encrypt"]}).encode()
        query = f"msg_signature={envelope['xml']['MsgSignature']}&timestamp={ts}&nonce={nonce}"
        return (f"POST {PATH}?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    def reply(self, body: bytes) -> dict | None:
        if not body:
            return None
        wrapper = json.loads(body)
        return json.loads(self.crypto.decrypt_message({"Encrypt": wrapper["encrypt"]}, wrapper["msgsignature"],
                                                      wrapper["timestamp"], wrapper["nonce"]))


def text_payload(group: int, member: int, content: str) -> dict:
    return {"msgid": uuid.uuid4().hex, "aibotid": "BENCHBOT", "chatid": f"wrBench{group:04d}", "chattype": "group",
            "from": {"userid": f"u{group}-{member}"}, "response_url": "https://example.invalid/r",
            "msgtype": "text", "text": {"content": f"@学习助手 {content}"}}


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length) if length else b""


Results = list[tuple[int, bytes]]  # (HTTP status, body) of each request, in order


async def closed_loop(port: int, requests: list[bytes], clients: int) -> tuple[float, list[float], Results]:
    """Each client sends its next request when the last reply is in."""
    queue = list(enumerate(requests))
    queue.reverse()
    latencies: list[float] = []
    results: list[tuple[int, bytes]] = [(0, b"")] * len(requests)

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while queue:
            index, request = queue.pop()
            started = time.perf_counter()
            results[index] = await _exchange(reader, writer, request)
            latencies.append(time.perf_counter() - started)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started, latencies, results


async def paced(port: int, requests: list[bytes], clients: int, rate: float) -> tuple[float, list[float], Results]:
    """Request i is due at i / rate seconds; client i % clients sends it. Latency counts from due time."""
    latencies: list[float] = []
    results: list[tuple[int, bytes]] = [(0, b"")] * len(requests)
    origin = time.perf_counter() + 0.2

    async def client(first: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for index in range(first, len(requests), clients):
            due = origin + index / rate
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            results[index] = await _exchange(reader, writer, requests[index])
            latencies.append(time.perf_counter() - due)
        writer.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return time.perf_counter() - origin, latencies, results


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def report(title: str, elapsed: float, latencies: list[float], cpu: float) -> tuple[float, float]:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000
    rate = len(latencies) / elapsed
    print(f"{title:<34} {len(latencies):>6} callbacks  {rate:>7,.0f}/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
          f"server CPU {cpu / len(latencies) * 1000:.2f} ms each")
    return rate, p99


def check(wire: Wire, results: list[tuple[int, bytes]], *expect: str) -> None:
    """Every callback answered 200; a sample of the replies decrypts to one of `expect`."""
    bad = [status for status, _ in results if status != 200]
    if bad:
        raise SystemExit(f"{len(bad)} callbacks failed: statuses {sorted(set(bad))}")
    for _status, body in results[:: max(len(results) // 200, 1)]:
        reply = wire.reply(body)
        shown = json.dumps(reply, ensure_ascii=False)
        if expect and (reply is None or not any(e in shown for e in expect)):
            raise SystemExit(f"unexpected reply: {reply}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rates", default="500,1000", help="paced rates to offer, callbacks/s, comma-separated")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--questions", type=int, default=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.questions)
        return
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "banks").mkdir()
        questions = "\n".join(f"  - {{type: single, question: 基准测试题 {i}（）, options: [甲, 乙, 丙, 丁], "
                              "answer: A}" for i in range(20))
        (directory / "banks" / "bench.yaml").write_text(f"name: 基准题库\ntime_limit: 600\nquestions:\n{questions}\n",
                                                       encoding="utf-8")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(directory), "--port", str(port),
                                   "--questions", str(1 + len(rates))])
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.1)
            run(port, args, rates, server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        with sqlite3.connect(directory / "bench.db") as db:
            stored = db.execute("SELECT COUNT(*) FROM contest_answer").fetchone()[0]
        expected = (1 + len(rates)) * args.groups * args.members
        print(f"answers stored: {stored:,}/{expected:,}")
        if stored != expected:
            raise SystemExit("answers were lost or doubled")


def run(port: int, args: argparse.Namespace, rates: list[float], pid: int) -> None:
    wire = Wire()
    groups, members, clients = args.groups, args.members, args.clients
    build = lambda content: [wire.request(text_payload(g, m, content), port)  # noqa: E731
                             for m in range(members) for g in range(groups)]
    print(f"{groups} groups x {members} members, {clients} clients on loopback, server in its own process "
          f"({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    requests, cpu = build("大家好"), cpu_seconds(pid)
    elapsed, latencies, results = asyncio.run(closed_loop(port, requests, clients))
    report("join (chatter, no reply)", elapsed, latencies, cpu_seconds(pid) - cpu)
    check(wire, results)
    starts = [wire.request(text_payload(g, 0, f"开始竞赛 基准题库 {1 + len(rates)}"), port) for g in range(groups)]
    _, _, results = asyncio.run(closed_loop(port, starts, clients))
    check(wire, results, "第 1/")
    requests, cpu = build("A"), cpu_seconds(pid)
    elapsed, latencies, results = asyncio.run(closed_loop(port, requests, clients))
    saturation, p99_saturated = report("saturation (answers, closed loop)", elapsed, latencies,
                                       cpu_seconds(pid) - cpu)
    check(wire, results, "已作答第 1 题", "第 1 题答案")
    paced_p99: dict[float, float] = {}
    for number, rate in enumerate(rates, start=2):
        requests, cpu = build("ABCD"[number % 4]), cpu_seconds(pid)
        elapsed, latencies, results = asyncio.run(paced(port, requests, clients, rate))
        _, paced_p99[rate] = report(f"paced (answers, {rate:,.0f}/s offered)", elapsed, latencies,
                                    cpu_seconds(pid) - cpu)
        check(wire, results, f"已作答第 {number} 题", f"第 {number} 题答案")
    at_goal = paced_p99.get(float(GOAL_RATE))
    met = saturation >= GOAL_RATE and at_goal is not None and at_goal < GOAL_P99_MS
    print(f"goal (>= {GOAL_RATE:,} callbacks/s; p99 < {GOAL_P99_MS:.0f} ms with {GOAL_RATE:,}/s offered): "
          f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
