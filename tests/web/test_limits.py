"""The pages' rate limits: exact per key, memory bounded whatever the number of keys, nothing kept past its window."""

from web.pages import Window


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_limit_in_any_window_then_again_once_it_passed():
    clock = Ticks()
    window = Window(3, 60, clock)
    assert [window.allow("a") for _ in range(4)] == [True, True, True, False]
    assert window.allow("b")  # another key has its own count
    clock.now = 59.9
    assert not window.allow("a")
    clock.now = 60.0
    assert window.allow("a")


def test_fifty_thousand_keys_then_more_keep_the_table_bounded_and_drop_what_expired():
    clock = Ticks()
    window = Window(10, 60, clock, max_keys=50_000)
    for n in range(120_000):  # a scan from many addresses, one request each
        clock.now = n / 1000
        assert window.allow(f"10.0.{n // 256}.{n % 256}")
    assert len(window.events) <= 50_000
    clock.now += 3600  # an hour later, a few calls clear what has expired, as they come
    for n in range(30_000):
        window.allow(f"late-{n % 10}")
    assert len(window.events) <= 10 + 1
    assert all(len(seen) <= 10 for seen in window.events.values())


def test_a_noisy_key_cannot_flush_its_own_record_by_reusing_itself():
    clock = Ticks()
    window = Window(2, 60, clock, max_keys=3)
    assert window.allow("x") and window.allow("x") and not window.allow("x")
    for _ in range(100):
        assert not window.allow("x")  # still refused, however often it asks


async def _wrong_tokens(sandbox, forwarded_for) -> list[int]:
    import httpx

    statuses = []
    async with httpx.AsyncClient() as client:
        for n in range(30):
            headers = {"X-Forwarded-For": forwarded_for(n)} if forwarded_for else {}
            statuses.append((await client.get(f"{sandbox.web_url}/r/{n:022d}", headers=headers)).status_code)
    return statuses


async def test_a_client_cannot_choose_its_address_unless_it_comes_through_a_trusted_proxy(tmp_path, caplog):
    """Without TRUSTED_PROXIES, a forged X-Forwarded-For is ignored: a new forged address per request still meets
    the wrong-token limit of its real address (10 per 10 minutes). Behind a trusted proxy, the header names the
    visitor: ten visitors each get their own limit. All requests from one untrusted address: the log says so."""
    import logging

    from sandbox.sandbox import Sandbox, sandbox_settings
    from tests.conftest import MONDAY

    caplog.set_level(logging.WARNING)
    async with Sandbox(tmp_path / "a.sqlite3", start=MONDAY, web=True) as sb:
        statuses = await _wrong_tokens(sb, lambda n: f"203.0.113.{n}")
        assert statuses[:10] == [404] * 10 and set(statuses[10:]) == {429}
    assert any("TRUSTED_PROXIES" in r.getMessage() for r in caplog.records)

    settings = sandbox_settings(tmp_path / "b.sqlite3").model_copy(update={"trusted_proxies": ["127.0.0.1"]})
    async with Sandbox(tmp_path / "b.sqlite3", start=MONDAY, web=True, settings=settings) as sb:
        statuses = await _wrong_tokens(sb, lambda n: f"203.0.113.{n % 3}")  # three visitors behind the proxy
        assert statuses.count(429) == 0  # each of them made 10 wrong tries at most
        statuses = await _wrong_tokens(sb, lambda n: "198.51.100.7")  # one visitor, 30 tries
        assert statuses[:10] == [404] * 10 and set(statuses[10:]) == {429}
