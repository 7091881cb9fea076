"""The personal links under load: 50 clients at once answer their polls over loopback (open the page, send the form,
change their mind), against the bot's real web server; a bare Starlette page on the same uvicorn setup, in the same
run, gives the floor. Every answer is then checked in the database: none lost, none doubled."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import re
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bench.harness import percentile, sent_polls
from bench.synthetic import CONTACT_IDS, NOW
from bot.pace import LoopTime
from handlers import mail
from sandbox.sandbox import Sandbox, sandbox_settings
from storage import polls
from web.server import HTTP, local_socket

ROOT = Path(__file__).resolve().parent.parent

FORM = re.compile(r'name="formulaire" value="([^"]+)"')
SLOT = re.compile(r'name="(c\d+)"')
CHOICES = ("oui", "si_besoin", "non")


async def web_links(workdir: Path, base: Path, clients: int = 50, rounds: int = 4) -> dict:
    db = workdir / "liens.sqlite3"
    shutil.copyfile(base, db)
    # started as python -m bot starts it: what is loaded set aside from the garbage collector, whose full collections
    # otherwise held every page in flight for 30 to 45 ms, once or twice a run (bench/notes.md)
    # the clients come as through the reverse proxy of a deployment, each with its own address in X-Forwarded-For
    settings = sandbox_settings(db).model_copy(update={"trusted_proxies": ["127.0.0.1"]})
    sb = Sandbox(db, start=NOW, web=True, pace_clock=LoopTime(), freeze_loaded=True, settings=settings)
    await sb.start()
    try:
        for n in range(1, 201):  # the synthetic sites' contacts are on Telegram: their poll messages are edited too
            sb.api.add_user(CONTACT_IDS + n, f"Contact {n}")
            sb.api.started.add(CONTACT_IDS + n)
        links = await _links(sb, clients)
        calls_before = len(sb.api.calls)
        measured = await _clients(workdir, "bot", links, rounds)
        await sb.web.settle()  # the Telegram edits that follow the answers, once each site is quiet
        edits = sum(1 for method, _ in sb.api.calls[calls_before:] if method == "editMessageText")
        lost = doubled = 0
        for (poll_id, site_id), values in measured.pop("sent").items():
            stored = {slot: a for (slot, site), a in (await polls.answers(sb.db, poll_id)).items() if site == site_id}
            lost += sum(1 for slot, v in values.items() if slot not in stored or stored[slot].answer != v)
            rows = await sb.db.fetchone("SELECT count(*) FROM poll_answers WHERE poll_id = ? AND site_id = ?",
                                        (poll_id, site_id))
            doubled += max(0, rows[0] - len(values))
    finally:
        await sb.stop()
        gc.unfreeze()  # the next sections start bots of their own
    bare = await _bare(workdir, clients, rounds)
    return {"clients": len(links), "rounds": rounds, **measured, "bare_post": bare["post"], "lost": lost,
            "doubled": doubled, "telegram_edits": edits}


async def _clients(workdir: Path, name: str, links: list[tuple[int, int, str]], rounds: int) -> dict:
    """The clients, in a process of their own (their own CPU, as browsers would be), all at once."""
    spec, out = workdir / f"clients-{name}.json", workdir / f"clients-{name}-out.json"
    spec.write_text(json.dumps({"links": links, "rounds": rounds}))
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.liens", str(spec), str(out),
                                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if await proc.wait() != 0:
        raise RuntimeError("the bench's clients failed")
    found = json.loads(out.read_text())
    sent = {(p, s): {int(k): v for k, v in values.items()} for p, s, values in found["sent"]}
    return {"seconds": found["seconds"], "post": _figures(found["posts"]), "get": _figures(found["gets"]),
            "sent": sent}


class Connection:
    """One client's HTTP/1.1 requests, spoken directly over asyncio streams: a general HTTP client spends
    milliseconds of its own per request once fifty run at once, which would be measured instead of the server
    (httpx's p50 against the bare page was 300 ms). A connection per request, as a phone opening a link does: on a
    kept-alive connection, uvicorn's h11 server answered every request after the first 40 ms late, bare page
    included (TCP's delayed acknowledgement), which measured nothing of either."""

    def __init__(self, url: str, headers: dict[str, str]):
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname, parts.port, parts.path
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, body: bytes = b"") -> tuple[int, str]:
        self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        extra = (f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                 if method == "POST" else "")
        self.writer.write(f"{method} {self.path} HTTP/1.1\r\nHost: {self.host}\r\nConnection: close\r\n"
                          f"{self.headers}{extra}\r\n".encode() + body)
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status = int(head.split(" ", 2)[1])
        length = int(re.search(r"(?im)^content-length:\s*(\d+)", head).group(1))
        return status, (await self.reader.readexactly(length)).decode()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _run_clients(links: list, rounds: int) -> dict:
    """(In the clients' process) each site opens its page, sends its answers, changes its mind ``rounds`` times."""
    rng = random.Random(7)
    posts: list[float] = []
    gets: list[float] = []
    sent: dict[tuple[int, int], dict[str, str]] = {}

    async def one(poll_id: int, site_id: int, url: str) -> None:
        # each site from its own address, as through the reverse proxy (the per-address limits hold)
        connection = Connection(url, {"X-Forwarded-For": f"10.0.{site_id // 250}.{site_id % 250 + 1}"})
        try:
            for _ in range(rounds):
                started = time.perf_counter()
                _, page = await connection.request("GET")
                gets.append(time.perf_counter() - started)
                slots = list(dict.fromkeys(SLOT.findall(page)))
                values = {s: rng.choice(CHOICES) for s in slots}
                form = FORM.search(page)
                body = urlencode({"formulaire": form.group(1) if form else "", **values,
                                  "nom": f"Secrétariat {site_id}"}).encode()
                started = time.perf_counter()
                status, _ = await connection.request("POST", body)
                posts.append(time.perf_counter() - started)
                if status != 200:
                    raise RuntimeError(f"answer refused: {status}")
                sent[(poll_id, site_id)] = {s[1:]: v for s, v in values.items()}
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(one(*link) for link in links))
    return {"seconds": round(time.perf_counter() - started, 2), "posts": posts, "gets": gets,
            "sent": [[p, s, v] for (p, s), v in sent.items()]}


def _figures(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"n": len(times), "p50_ms": round(1000 * percentile(ordered, 50), 1),
            "p99_ms": round(1000 * percentile(ordered, 99), 1)}


async def _links(sb: Sandbox, count: int) -> list[tuple[int, int, str]]:
    """Polls sent until ``count`` sites have one, each with its personal link minted."""
    found: list[tuple[int, int, str]] = []
    async for poll in sent_polls(sb):
        if len(found) >= count:
            break
        for ps in await polls.poll_sites(sb.db, poll.id):
            if ps.invited and len(found) < count:
                link = await mail.poll_link(sb.app, poll, ps.site_id)
                found.append((poll.id, ps.site_id, await mail.mint_link(sb.app, link.id)))
    return found


async def _bare(workdir: Path, clients: int, rounds: int) -> dict:
    """The same exchanges against a bare Starlette page on the same uvicorn setup, the clients in their process."""
    async def page(request: Request) -> HTMLResponse:
        if request.method == "POST":
            await request.body()
            return HTMLResponse("<p>ok</p>")
        return HTMLResponse('<input name="formulaire" value="x"><input name="c1">')

    app = Starlette(routes=[Route("/r/{token}", page, methods=["GET", "POST"])])
    sock = local_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", http=HTTP))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/r/x"
    try:
        return await _clients(workdir, "nu", [(0, n, url) for n in range(clients)], rounds)
    finally:
        server.should_exit = True
        await task


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    Path(argv[1]).write_text(json.dumps(asyncio.run(_run_clients(spec["links"], spec["rounds"]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
