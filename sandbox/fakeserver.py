"""The fake Bot API served over HTTP on 127.0.0.1, so that the real bot can run as a separate process
(BOT_API_BASE_URL=http://127.0.0.1:PORT) and be killed and restarted by the reliability tests.

A small HTTP/1.1 server on asyncio streams: python-telegram-bot's httpx client posts form-encoded parameters
(JSON-encoded values) or multipart bodies for files, and downloads files from /file/bot<token>/<path>.
"""

from __future__ import annotations

import asyncio
import json
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl, urlsplit

from sandbox.fakeapi import FakeBotAPI

# parameters that are always strings: PTB sends them as they are, not JSON-encoded
TEXT_PARAMETERS = frozenset({"text", "caption", "parse_mode", "callback_query_id", "file_id", "secret_token", "url",
                             "description", "short_description", "name", "query", "title", "emoji"})


def decode_form(body: bytes) -> dict:
    params = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        if key in TEXT_PARAMETERS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def decode_multipart(content_type: str, body: bytes) -> tuple[dict, dict]:
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    params, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, payload, part.get_content_type())
        else:
            text = payload.decode()
            if name in TEXT_PARAMETERS:
                params[name] = text
            else:
                try:
                    params[name] = json.loads(text)
                except ValueError:
                    params[name] = text
    return params, files


class FakeBotAPIServer:
    def __init__(self, api: FakeBotAPI, host: str = "127.0.0.1", port: int = 0):
        self.api = api
        self.host = host
        self.port = port
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening and end the connections still open (a long poll waiting, say): Python 3.11's server
        does not wait for them, and one left suspended fails later, when its event loop is already closed."""
        if self._server is not None:
            self._server.close()
            for connection in list(self._connections):
                connection.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._connections.add(task)
        try:
            while True:  # keep-alive: several requests on one connection
                request_line = await reader.readline()
                if not request_line:
                    break
                method, target, _ = request_line.decode().split(" ", 2)
                headers = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    key, _, value = line.decode().partition(":")
                    headers[key.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, payload = await self._answer(method, target, headers.get("content-type", ""), body)
                writer.write(f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\nContent-Type: application/json"
                             f"\r\nContent-Length: {len(payload)}\r\nConnection: keep-alive\r\n\r\n".encode() + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the bot was killed mid-request: that is the point of these tests
        except asyncio.CancelledError:
            pass  # the server is stopping while a long poll waits: nothing to answer
        finally:
            writer.close()
            self._connections.discard(task)

    async def _answer(self, method: str, target: str, content_type: str, body: bytes) -> tuple[int, bytes]:
        path = urlsplit(target).path
        if "/file/bot" in path:
            return self.api.download(path)
        api_method = path.rsplit("/", 1)[-1]
        if content_type.startswith("multipart/form-data"):
            params, files = decode_multipart(content_type, body)
        else:
            params, files = decode_form(body), {}
        return await self.api.handle(api_method, params, files)
