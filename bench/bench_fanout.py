"""Fan-out benchmark: time from a vote to N connected Socket.IO clients receiving the update.

Usage: python bench/bench_fanout.py [--clients 1000] [--votes 20] [--servers 2]
Starts `--servers` gunicorn processes (the Procfile's web command) sharing a Redis message
queue (TEST_REDIS_URL or redis://127.0.0.1:6379/0) and one SQLite file, spreads the clients
over them (WebSocket transport), casts votes through the first server and reports the latency
distribution of `leaderboard_changed` arrivals over all clients and votes.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import aiohttp
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import GUNICORN, app_environment, flask_cli, running_server  # noqa: E402


def server_command(threads: int) -> list[str]:
    # Threaded workers hold one thread per WebSocket, so threads bound the clients per server.
    command = [*GUNICORN, "--workers", "1", "--bind", "127.0.0.1:{port}", "wsgi:app"]
    command[command.index("--threads") + 1] = str(threads)
    return command


async def connect_clients(urls: list[str], count: int, arrivals: dict) -> list:
    clients = []

    def recorder(client_number):
        async def on_change(_payload):
            arrivals.setdefault(client_number, []).append(time.perf_counter())

        return on_change

    for number in range(count):
        client = socketio.AsyncClient(reconnection=False)
        client.on("leaderboard_changed", recorder(number))
        clients.append(client)
    batch = 50
    for start in range(0, count, batch):
        await asyncio.gather(
            *(
                c.connect(
                    urls[(start + i) % len(urls)],
                    transports=["websocket"],
                    auth={"scope": "overall"},
                    wait_timeout=30,
                )
                for i, c in enumerate(clients[start : start + batch])
            )
        )
    return clients


async def cast_vote(session: aiohttp.ClientSession, url: str, token: str) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(f"{url}/api/v1/battles", json={}, headers=headers) as reply:
        battle = await reply.json()
    started = time.perf_counter()
    async with session.post(
        f"{url}/api/v1/battles/{battle['token']}/vote", json={"choice": "a"}, headers=headers
    ) as reply:
        assert reply.status == 200, await reply.text()
    return started


async def measure(urls, token, clients_wanted, votes) -> list[float]:
    arrivals: dict[int, list[float]] = {}
    clients = await connect_clients(urls, clients_wanted, arrivals)
    latencies = []
    async with aiohttp.ClientSession() as session:
        for round_number in range(votes):
            arrivals.clear()
            started = await cast_vote(session, urls[0], token)
            deadline = time.monotonic() + 30
            while len(arrivals) < clients_wanted and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            missing = clients_wanted - len(arrivals)
            assert not missing, f"vote {round_number}: {missing} clients got nothing in 30 s"
            latencies += [(times[0] - started) * 1000 for times in arrivals.values()]
    await asyncio.gather(*(client.disconnect() for client in clients))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--votes", type=int, default=20)
    parser.add_argument("--servers", type=int, default=2)
    args = parser.parse_args()
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        env = app_environment(
            DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3",
            REDIS_URL=redis_url,
            SECRET_KEY=uuid.uuid4().hex,
            ARENA_AUTO_SETUP="0",
        )
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "arena", "seed")
        flask_cli(env, "arena", "create-user", "bench", "--password", "benchmark vote cycle")
        token = flask_cli(env, "arena", "create-token", "bench")
        threads = args.clients // args.servers + 50
        urls = [
            stack.enter_context(
                running_server(server_command(threads), env, Path(tmp) / f"{n}.log")
            )
            for n in range(args.servers)
        ]
        latencies = asyncio.run(measure(urls, token, args.clients, args.votes))
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"{args.clients} clients on {args.servers} servers (Redis queue), {args.votes} votes, "
        f"{len(latencies)} deliveries"
    )
    print(
        f"  vote -> client: p50 {quantiles[49]:.0f} ms, p99 {quantiles[98]:.0f} ms, "
        f"max {max(latencies):.0f} ms"
    )


if __name__ == "__main__":
    main()
