"""The personal links under load: 50 clients at once answer their polls over loopback (open the page, send the form,
change their mind), against the bot's real web server; a bare Starlette page on the same uvicorn setup, in the same
run, gives the floor. Every answer is then checked in the database: none lost, none doubled."""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import time
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bench.harness import percentile
from bench.synthetic import NOW
from bot.pace import LoopTime
from bot.pipeline import Status
from handlers import mail
from sandbox.sandbox import Sandbox
from storage import polls
from web.server import local_socket

FORM = re.compile(r'name="formulaire" value="([^"]+)"')
SLOT = re.compile(r'name="(c\d+)"')
CHOICES = ("oui", "si_besoin", "non")


async def web_links(workdir: Path, base: Path, clients: int = 50, rounds: int = 4) -> dict:
    db = workdir / "liens.sqlite3"
    shutil.copyfile(base, db)
    sb = Sandbox(db, start=NOW, web=True, pace_clock=LoopTime())
    await sb.start()
    try:
        links = await _links(sb, clients)
        rng = random.Random(7)
        posts: list[float] = []
        gets: list[float] = []
        sent: dict[tuple[int, int], dict[int, str]] = {}
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            async def one(poll_id: int, site_id: int, url: str) -> None:
                for _ in range(rounds):  # a site changing its mind
                    started = time.perf_counter()
                    page = await client.get(url)
                    gets.append(time.perf_counter() - started)
                    slots = list(dict.fromkeys(SLOT.findall(page.text)))
                    values = {s: rng.choice(CHOICES) for s in slots}
                    started = time.perf_counter()
                    out = await client.post(url, data={"formulaire": FORM.search(page.text).group(1), **values,
                                                       "nom": f"Secrétariat {site_id}"})
                    posts.append(time.perf_counter() - started)
                    assert out.status_code == 200, out.status_code
                    sent[(poll_id, site_id)] = {int(s[1:]): v for s, v in values.items()}
            started = time.perf_counter()
            await asyncio.gather(*(one(*link) for link in links))
            seconds = time.perf_counter() - started
        lost = doubled = 0
        for (poll_id, site_id), values in sent.items():
            stored = {slot: a for (slot, site), a in (await polls.answers(sb.db, poll_id)).items() if site == site_id}
            lost += sum(1 for slot, v in values.items() if slot not in stored or stored[slot].answer != v)
            rows = await sb.db.fetchone("SELECT count(*) FROM poll_answers WHERE poll_id = ? AND site_id = ?",
                                        (poll_id, site_id))
            doubled += max(0, rows[0] - len(values))
    finally:
        await sb.stop()
    bare = await _bare(clients, rounds)
    return {"clients": len(links), "rounds": rounds, "seconds": round(seconds, 2),
            "post": _figures(posts), "get": _figures(gets), "bare_post": bare, "lost": lost, "doubled": doubled}


def _figures(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"n": len(times), "p50_ms": round(1000 * percentile(ordered, 50), 1),
            "p99_ms": round(1000 * percentile(ordered, 99), 1)}


async def _links(sb: Sandbox, count: int) -> list[tuple[int, int, str]]:
    """Polls sent until ``count`` sites have one, each with its personal link minted."""
    from bench.harness import ids_with_status

    found: list[tuple[int, int, str]] = []
    for cid in await ids_with_status(sb, Status.CROISEMENT, 10_000):
        if len(found) >= count:
            break
        await sb.say("cpts1", f"/sondage {cid}")
        await sb.press("cpts1", "Envoyer le sondage")
        poll = await polls.current_for(sb.db, cid)
        for ps in await polls.sites(sb.db, poll.id):
            if ps.invited and len(found) < count:
                link = await mail.poll_link(sb.app, poll, ps.site_id)
                found.append((poll.id, ps.site_id, await mail.mint_link(sb.app, link.id)))
    return found


async def _bare(clients: int, rounds: int) -> dict:
    """The same exchanges against a bare Starlette page on the same uvicorn setup."""
    async def page(request: Request) -> HTMLResponse:
        if request.method == "POST":
            await request.body()
            return HTMLResponse("<p>ok</p>")
        return HTMLResponse('<input name="formulaire" value="x"><input name="c1">')

    app = Starlette(routes=[Route("/r/{token}", page, methods=["GET", "POST"])])
    sock = local_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/r/x"
    posts: list[float] = []
    try:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            async def one() -> None:
                for _ in range(rounds):
                    await client.get(url)
                    started = time.perf_counter()
                    await client.post(url, data={"formulaire": "x", "c1": "oui", "nom": "Secrétariat"})
                    posts.append(time.perf_counter() - started)
            await asyncio.gather(*(one() for _ in range(clients)))
    finally:
        server.should_exit = True
        await task
    return _figures(posts)
