"""An in-process Telegram Bot API, for the tests, the console sandbox and the benchmarks.

It answers the bot's calls with Telegram-shaped JSON and enforces what Telegram enforces and a bot must
respect: HTML that parses, 4096 characters per message, 64 bytes of callback data, "message is not
modified", no private message to a user who never started the bot, group privacy mode. On the other side,
tests act as users: type in a chat, reply, press a button. Faults (429 with retry_after, 5xx, timeouts,
403) can be injected per method.

Like Telegram, it can pace the bot (``limits``): past 30 new messages a second in all, 20 a
minute to one group or one a second to one private chat, it answers 429 with ``retry_after`` and counts the refusal
in ``refused``. ``latency`` adds a round trip to every call (the benchmarks use 50 ms).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.pace import LoopTime

BOT_USER = {
    "id": 7_000_000_001, "is_bot": True, "first_name": "Installation Jura", "username": "installation_jura_bot",
    "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
}
_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
         "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "code": "code", "pre": "pre",
         "a": "text_link", "tg-spoiler": "spoiler", "blockquote": "blockquote"}


class Killed(BaseException):
    """The bot's process died right after its call reached Telegram (a ``kill`` fault): nothing after it runs.

    A BaseException, so that no handler or error handler of the bot catches it: it ends the update's handling
    as SIGKILL would, and the test restarts the bot."""


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _HtmlToEntities(HTMLParser):
    """Telegram's HTML parse mode: plain text plus entities (offsets in UTF-16 code units)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict] = []
        self.stack: list[tuple[str, int, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in _TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: unsupported start tag \"{tag}\"")
        extra = {"url": dict(attrs).get("href", "")} if tag == "a" else {}
        self.stack.append((tag, _utf16_len(self.text), extra))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise ApiError(400, f"Bad Request: can't parse entities: unexpected end tag \"{tag}\"")
        _, start, extra = self.stack.pop()
        length = _utf16_len(self.text) - start
        if length:
            self.entities.append({"type": _TAGS[tag], "offset": start, "length": length, **extra})

    def handle_data(self, data: str) -> None:
        self.text += data

    def result(self) -> tuple[str, list[dict]]:
        self.close()
        if self.stack:
            raise ApiError(400, f"Bad Request: can't parse entities: unclosed tag \"{self.stack[-1][0]}\"")
        return self.text, sorted(self.entities, key=lambda e: e["offset"])


def parse_html(text: str) -> tuple[str, list[dict]]:
    parser = _HtmlToEntities()
    parser.feed(text)
    return parser.result()


@dataclass
class Fault:
    method: str  # a Bot API method, or "*" for any
    kind: str  # "429", "500", "timeout", "403", "400", "kill" (the call is carried out, then the bot dies)
    retry_after: int = 1
    times: int = 1
    chat_id: int | None = None  # only the calls to this chat, or any


@dataclass
class Sent:
    """One thing the bot did that a user can see, in order: a message, an edit, a toast, a file."""

    kind: str  # message | edit | toast | document | photo | delete
    chat_id: int
    message_id: int | None
    text: str = ""
    buttons: list[list[dict]] = field(default_factory=list)
    force_reply: bool = False
    alert: bool = False
    file_name: str | None = None
    file_data: bytes | None = None
    to_user: int | None = None  # toasts: who sees it


class FakeBotAPI:
    """The Bot API's server side, in memory."""

    def __init__(self, *, privacy_mode: bool = True, now: Callable[[], float] = time.time, limits: bool = False,
                 latency: float = 0.0, pace_clock: LoopTime | None = None):
        self.privacy_mode = privacy_mode
        self.limits = limits
        self.pace_clock = pace_clock or LoopTime()  # what the limits are counted on (the bot's limiter shares it)
        self.latency = latency
        self.refused: Counter[str] = Counter()  # 429s answered because the bot went past a limit, by method
        self._overall: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = defaultdict(deque)
        self.now = now
        self.users: dict[int, dict] = {}
        self.chats: dict[int, dict] = {}
        self.started: set[int] = set()  # users who opened a private chat with the bot
        self.messages: dict[tuple[int, int], dict] = {}
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self.last_update_id = 0
        self._callback_ids = itertools.count(1)
        self.updates: deque[dict] = deque()
        self._new_update = asyncio.Event()
        self.log: list[Sent] = []
        self.calls: list[tuple[str, dict]] = []
        self.faults: list[Fault] = []
        self.commands: list[dict] = []
        self.left_chats: set[int] = set()
        self.files: dict[str, bytes] = {}
        self.webhook: dict | None = None  # set by setWebhook: {"url", "secret_token"}
        self.fault_rate = 0.0  # a share of calls failing at random (429, 500, time-out), drawn from ``rng``
        self.rng = random.Random(0)

    # --- the world --------------------------------------------------------------------------------------

    def add_user(self, user_id: int, first_name: str, last_name: str | None = None, username: str | None = None) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "fr"}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        self.users[user_id] = user
        self.chats.setdefault(user_id, {"id": user_id, "type": "private", "first_name": first_name})
        return user

    def add_group(self, chat_id: int, title: str) -> dict:
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        self.chats[chat_id] = chat
        return chat

    def fail(self, method: str = "*", kind: str = "500", *, times: int = 1, retry_after: int = 1,
             chat_id: int | None = None) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id``, or any chat) fail the way Telegram does."""
        self.faults.append(Fault(method, kind, retry_after, times, chat_id))

    # --- users acting -----------------------------------------------------------------------------------

    def _next_update_id(self) -> int:
        self.last_update_id += 1
        return self.last_update_id

    def updates_continue_after(self, update_id: int) -> None:
        """Telegram's update ids only grow: a bot started again on a database that handled some gets new ones."""
        self.last_update_id = max(self.last_update_id, update_id)

    def _queue(self, update: dict) -> dict:
        self.updates.append(update)
        self._new_update.set()
        return update

    def user_message(self, user_id: int, chat_id: int, text: str, *, reply_to: int | None = None) -> dict | None:
        """A user types ``text``; returns the update, or None when group privacy mode hides it from the bot."""
        chat = self.chats[chat_id]
        if chat["type"] == "private":
            self.started.add(user_id)
        message_id = next(self._message_ids[chat_id])
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(self.now()), "chat": chat, "from": self.users[user_id], "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        if reply_to is not None and (chat_id, reply_to) in self.messages:
            message["reply_to_message"] = self.messages[(chat_id, reply_to)]
        self.messages[(chat_id, message_id)] = message
        if chat["type"] != "private" and self.privacy_mode and not self._bot_sees(message):
            return None
        return self._queue({"update_id": self._next_update_id(), "message": message})

    def _bot_sees(self, message: dict) -> bool:
        """Group privacy mode: commands, replies to the bot, and mentions only."""
        replied = message.get("reply_to_message")
        return (
            message["text"].startswith("/")
            or (replied is not None and replied["from"]["id"] == BOT_USER["id"])
            or f"@{BOT_USER['username']}" in message["text"]
        )

    def user_document(self, user_id: int, chat_id: int, file_name: str, data: bytes, *, caption: str | None = None,
                      reply_to: int | None = None) -> dict | None:
        """A user sends a file (a spreadsheet); the bot fetches it with getFile and a download."""
        chat = self.chats[chat_id]
        file_id = f"file{len(self.files) + 1}"
        self.files[file_id] = data
        message_id = next(self._message_ids[chat_id])
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(self.now()), "chat": chat, "from": self.users[user_id],
            "document": {"file_id": file_id, "file_unique_id": file_id, "file_name": file_name, "file_size": len(data)},
        }
        if caption:
            message["caption"] = caption
        if reply_to is not None and (chat_id, reply_to) in self.messages:
            message["reply_to_message"] = self.messages[(chat_id, reply_to)]
        self.messages[(chat_id, message_id)] = message
        if chat["type"] != "private" and self.privacy_mode and not (
                (caption or "").startswith("/") or (reply_to is not None and "reply_to_message" in message)):
            return None
        return self._queue({"update_id": self._next_update_id(), "message": message})

    def user_press(self, user_id: int, chat_id: int, message_id: int, data: str) -> dict:
        """A user presses an inline button (any data: a forged one included)."""
        message = self.messages[(chat_id, message_id)]
        query = {
            "id": str(next(self._callback_ids)), "from": self.users[user_id], "chat_instance": str(chat_id),
            "message": message, "data": data,
        }
        return self._queue({"update_id": self._next_update_id(), "callback_query": query})

    def bot_added_to(self, chat_id: int, by_user: int) -> dict:
        change = {
            "chat": self.chats[chat_id], "from": self.users[by_user], "date": int(self.now()),
            "old_chat_member": {"status": "left", "user": BOT_USER},
            "new_chat_member": {"status": "member", "user": BOT_USER},
        }
        return self._queue({"update_id": self._next_update_id(), "my_chat_member": change})

    def take_updates(self) -> list[dict]:
        taken = list(self.updates)
        self.updates.clear()
        return taken

    # --- what users see ---------------------------------------------------------------------------------

    def visible(self, chat_id: int) -> list[dict]:
        """The chat's bot messages as they stand now (after edits), oldest first."""
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id and m["from"]["id"] == BOT_USER["id"]]

    def last_with_buttons(self, chat_id: int) -> dict | None:
        for message in reversed(self.visible(chat_id)):
            if message.get("reply_markup", {}).get("inline_keyboard"):
                return message
        return None

    # --- the Bot API ------------------------------------------------------------------------------------

    def request(self) -> FakeRequest:
        return FakeRequest(self)

    async def handle(self, method: str, params: dict[str, Any], files: dict[str, Any]) -> tuple[int, bytes]:
        if self.latency and method != "getUpdates":
            await asyncio.sleep(self.latency / 2)  # the way there...
        try:
            return self._answer(method, params, files) if method != "getUpdates" else await self._answer_updates(params)
        finally:
            if self.latency and method != "getUpdates":
                await asyncio.sleep(self.latency / 2)  # ...and back

    async def _answer_updates(self, params: dict[str, Any]) -> tuple[int, bytes]:
        self.calls.append(("getUpdates", params))
        try:
            result = await self._api_getUpdates(params, {})
        except ApiError as err:
            return self._error(err)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _answer(self, method: str, params: dict[str, Any], files: dict[str, Any]) -> tuple[int, bytes]:
        self.calls.append((method, params))
        try:
            self._within_limits(method, params)
            killed = self._maybe_fail(method, params)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(params, files)
            if killed:
                raise Killed(method)
            return 200, json.dumps({"ok": True, "result": result}).encode()
        except ApiError as err:
            return self._error(err)

    @staticmethod
    def _error(err: ApiError) -> tuple[int, bytes]:
        body = {"ok": False, "error_code": err.code, "description": err.description}
        if err.parameters:
            body["parameters"] = err.parameters
        return err.code, json.dumps(body).encode()

    def _within_limits(self, method: str, params: dict) -> None:
        """Telegram's limits, counted as it counts them (on ``pace_clock``, whatever the sandbox's clock says)."""
        if not self.limits or "chat_id" not in params:
            return
        now = self.pace_clock.time()
        chat_id = int(params["chat_id"]) if str(params["chat_id"]).lstrip("-").isdigit() else 0
        if not method.startswith(("send", "copyMessage", "forwardMessage")):
            return  # edits and answers to buttons: Telegram publishes no figure for them
        windows = [(self._overall, 30, 1.0), (self._per_chat[chat_id], *((20, 60.0) if chat_id < 0 else (1, 1.0)))]
        for passed, rate, period in windows:
            while passed and now - passed[0] >= period:
                passed.popleft()
            if len(passed) >= rate:
                self.refused[method] += 1
                wait = max(1, math.ceil(passed[0] + period - now))
                raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        for passed, _, _ in windows:
            passed.append(now)

    def _maybe_fail(self, method: str, params: dict[str, Any]) -> bool:
        """Raise the fault injected for this call, if any; True when the bot is to die once it is carried out."""
        if self.fault_rate and method not in ("getMe", "getUpdates") and self.rng.random() < self.fault_rate:
            self.faults.insert(0, Fault(method, self.rng.choice(["429", "500", "timeout"]), self.rng.randint(1, 5)))
        for fault in self.faults:
            if (fault.method in ("*", method) and fault.times > 0 and method not in ("getMe", "getUpdates")
                    and fault.chat_id in (None, int(params.get("chat_id") or 0))):
                fault.times -= 1
                if fault.kind == "kill":
                    self.faults = [f for f in self.faults if f.times > 0]
                    return True
                if fault.kind == "timeout":
                    raise TimedOut("Timed out (injected)")
                if fault.kind == "429":
                    raise ApiError(429, f"Too Many Requests: retry after {fault.retry_after}",
                                   {"retry_after": fault.retry_after})
                if fault.kind == "403":
                    raise ApiError(403, "Forbidden: bot was kicked from the group chat")
                if fault.kind == "400":
                    raise ApiError(400, "Bad Request: chat not found")
                raise ApiError(500, "Internal Server Error")
        self.faults = [f for f in self.faults if f.times > 0]
        return False

    def _chat(self, params: dict) -> dict:
        chat_id = int(params["chat_id"])
        if chat_id not in self.chats or chat_id in self.left_chats:
            raise ApiError(400, "Bad Request: chat not found")
        chat = self.chats[chat_id]
        if chat["type"] == "private" and chat_id not in self.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    @staticmethod
    def _markup(params: dict) -> dict | None:
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    @staticmethod
    def _text(params: dict, key: str = "text") -> tuple[str, list[dict]]:
        raw = params.get(key, "")
        text, entities = parse_html(raw) if params.get("parse_mode") == "HTML" else (raw, [])
        if not text.strip() and key == "text":
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    def _record(self, kind: str, message: dict, *, force_reply: bool = False, **extra: Any) -> None:
        markup = message.get("reply_markup") or {}
        self.log.append(Sent(
            kind, message["chat"]["id"], message["message_id"], message.get("text") or message.get("caption", ""),
            markup.get("inline_keyboard", []), force_reply, **extra,
        ))

    def _new_message(self, params: dict, **content: Any) -> dict:
        chat = self._chat(params)
        message = {"message_id": next(self._message_ids[chat["id"]]), "date": int(self.now()), "chat": chat,
                   "from": BOT_USER, **content}
        reply = params.get("reply_parameters") or {}
        if isinstance(reply, str):
            reply = json.loads(reply)
        reply_to = reply.get("message_id") or params.get("reply_to_message_id")
        if reply_to and (chat["id"], int(reply_to)) in self.messages:
            message["reply_to_message"] = self.messages[(chat["id"], int(reply_to))]
        markup = self._markup(params)
        if markup and markup.get("inline_keyboard"):
            message["reply_markup"] = markup  # a message only ever carries its inline keyboard
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def _api_getFile(self, params, files):
        file_id = params["file_id"]
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": file_id, "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}"}

    def download(self, file_path: str) -> tuple[int, bytes]:
        file_id = file_path.rsplit("/", 1)[-1]
        return (200, self.files[file_id]) if file_id in self.files else (404, b"Not Found")

    def _api_getMe(self, params, files):
        return BOT_USER

    def _api_setMyCommands(self, params, files):
        self.commands = params.get("commands", [])
        return True

    def _api_setWebhook(self, params, files):
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    def _api_getWebhookInfo(self, params, files):
        return {"url": self.webhook["url"] if self.webhook else "", "has_custom_certificate": False,
                "pending_update_count": len(self.updates)}

    def _api_deleteWebhook(self, params, files):
        self.webhook = None
        return True

    def _api_getChat(self, params, files):
        return {**self._chat(params), "accent_color_id": 0, "max_reaction_count": 11}  # a ChatFullInfo

    def _api_leaveChat(self, params, files):
        self.left_chats.add(int(params["chat_id"]))
        return True

    async def _api_getUpdates(self, params, files):
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                                "to delete the webhook first")
        offset = int(params.get("offset") or 0)
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()
        if not self.updates:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout=float(params.get("timeout") or 0) or 0.01)
            except TimeoutError:
                pass
        return list(self.updates)[: int(params.get("limit") or 100)]

    def _api_sendMessage(self, params, files):
        text, entities = self._text(params)
        message = self._new_message(params, text=text, **({"entities": entities} if entities else {}))
        self._record("message", message, force_reply=bool((self._markup(params) or {}).get("force_reply")))
        return message

    def _api_editMessageText(self, params, files):
        message = self._existing(params)
        text, entities = self._text(params)
        markup = self._markup(params)
        if text == message.get("text") and entities == message.get("entities", []) and markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        message["text"] = text
        message["entities"] = entities
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(self.now())
        self._record("edit", message)
        return message

    def _api_editMessageReplyMarkup(self, params, files):
        message = self._existing(params)
        markup = self._markup(params)
        if markup == message.get("reply_markup") or (not markup and not message.get("reply_markup")):
            raise ApiError(400, "Bad Request: message is not modified")
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        self._record("edit", message)
        return message

    def _existing(self, params: dict) -> dict:
        chat = self._chat(params)
        key = (chat["id"], int(params["message_id"]))
        if key not in self.messages or self.messages[key]["from"]["id"] != BOT_USER["id"]:
            raise ApiError(400, "Bad Request: message to edit not found")
        return self.messages[key]

    def _api_deleteMessage(self, params, files):
        message = self._existing(params)
        del self.messages[(message["chat"]["id"], message["message_id"])]
        self.log.append(Sent("delete", message["chat"]["id"], message["message_id"]))
        return True

    def _api_answerCallbackQuery(self, params, files):
        if params.get("text"):
            self.log.append(Sent("toast", 0, None, params["text"], alert=bool(params.get("show_alert"))))
        return True

    def _file(self, params: dict, files: dict, key: str) -> tuple[str, bytes]:
        upload = files.get(key) or next(iter(files.values()), None)
        if upload is None:
            raise ApiError(400, f"Bad Request: there is no {key} in the request")
        name, data = upload[0], upload[1]
        return name or key, data if isinstance(data, bytes) else data.read()

    def _api_sendDocument(self, params, files):
        name, data = self._file(params, files, "document")
        caption, entities = self._text(params, "caption")
        message = self._new_message(params, document={"file_id": f"doc{len(self.log)}", "file_unique_id": f"d{len(self.log)}", "file_name": name,
                                                      "file_size": len(data)}, caption=caption)
        self._record("document", message, file_name=name, file_data=data)
        return message

    def _api_sendPhoto(self, params, files):
        name, data = self._file(params, files, "photo")
        caption, _ = self._text(params, "caption")
        message = self._new_message(params, photo=[{"file_id": f"photo{len(self.log)}", "file_unique_id": "p",
                                                    "width": 800, "height": 600}], caption=caption)
        self._record("photo", message, file_name=name, file_data=data)
        return message


class FakeRequest(BaseRequest):
    """A python-telegram-bot request backend that talks to a FakeBotAPI instead of the network."""

    def __init__(self, api: FakeBotAPI):
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, read_timeout=None,
                         write_timeout=None, connect_timeout=None, pool_timeout=None) -> tuple[int, bytes]:
        if "/file/bot" in url:
            return self.api.download(url)
        api_method = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        files = request_data.multipart_data if request_data and request_data.contains_files else {}
        return await self.api.handle(api_method, dict(params), files or {})
