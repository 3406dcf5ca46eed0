"""A scripted fake provider: a real HTTP/1.1 server on 127.0.0.1 speaking the OpenAI Chat
Completions wire format (chunk shapes as llama.cpp sends them) and, at their own addresses,
Azure OpenAI, Anthropic Messages, Gemini and Vertex AI, Ollama and Bedrock ConverseStream
(the *_wire.py modules).

Use it in-process (`FakeProvider().start()`, or the `fake_provider` fixture), or as a process:
`python -m tests.fakes.fake_provider --port 0` prints its base URL on the first stdout line.

What it answers is driven by scripts: pushed ones are used first, one per chat request
(`push_script(**keys)`, or POST the keys as JSON to `/_control/scripts`); then the model
name picks a built-in one (tests/fakes/builtin_scripts.py); any other model is unknown (404). The keys
work in every dialect unless a dialect is named:

    tokens               the answer's pieces (default: "You said: <the last user text>")
    delay_s              seconds between tokens; first_token_delay_s before the first
    reasoning            reasoning pieces sent before the answer (Chat Completions only)
    status, error_body   answer this HTTP status with this body instead of a stream; a dict
                         is sent as JSON, a string byte for byte (as text/html); `headers`
                         adds response headers (Retry-After, x-amzn-ErrorType...)
    error_after_tokens   after this many tokens, send the dialect's in-stream error (an
                         `error` chunk, Anthropic's `event: error`, Gemini's error object,
                         Ollama's error line, a Bedrock exception frame) and end
    error_message        the text of that in-stream error (each dialect has a default)
    stall_after_tokens   after this many tokens, go silent until the client leaves
    end_without_done     end the body without the dialect's end marker
    drop_after_tokens    after this many tokens, drop the connection mid-body (Chat
                         Completions only): no end marker, no last chunk of the body
    tool_calls           [{"id", "name", "arguments"}]: calls sent after the text (an
                         Anthropic request that forces a tool, as structured output does,
                         is answered with that tool, its input the joined `tokens`)
    raw_tool_arguments   with tool_calls: the first call's arguments sent as this exact
                         string, which may be invalid JSON (where the dialect carries an
                         object — Gemini's `args`, Ollama's `arguments` — the string stands
                         in its place)
    finish_reason        "stop" or "length" (gemini_finish: Gemini's own word, e.g. SAFETY)
    usage                {"prompt_tokens", "completion_tokens"} reported at the end
    stamp                each token carries the wall-clock time it was sent: tok7@<time>
    reject_stream_options  answer 400 when the request carries stream_options (Chat
                         Completions only)

The model lists (`/v1/models`, `/v1beta/models`, `/api/tags`, `/foundation-models`,
`/publishers/google/models`) answer `push_models_error(status, body, headers)` once — or a
JSON `{"status", "body", "headers"}` POSTed to `/_control/models_error` — before answering
normally again.

It records every request (the API key only as "matched"/"absent"/"wrong"; per chat request
`received_at`, the wall-clock time.time() its head arrived) and, per streamed request, whether
the client went away before the end — so tests can prove that Stop closes the upstream
connection.

Connections are kept alive, as real providers keep them: streamed answers are sent with
`Transfer-Encoding: chunked` in every dialect, ending with the terminating chunk (after an
in-stream error and with `end_without_done` too: the body ends without the dialect's end
marker), and the connection then serves the client's next request. While a stream runs the
server keeps reading the connection to notice a client that closed it; any bytes read there
(the start of the next request) are kept for that request. `connections_accepted()` counts
the TCP connections accepted (so tests can prove a pooled client reuses one) and
`connections_open()` those open now (`wait_for_connections_closed()` waits for none);
`reset()` clears the requests, streams, scripts and the accepted count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.fakes import anthropic_wire, bedrock_wire, gemini_wire, ollama_wire
from tests.fakes.builtin_scripts import MODELS, builtin_script, words
from tests.fakes.openai_wire import (
    auth_error,
    azure_path,
    delta_chunk,
    sse_chunk,
    whole_response,
)
from tests.fakes.request_notes import (
    apply_limits,
    last_user_text,
    limits,
    media,
    media_received,
    prompt_tokens,
)
from tests.fakes.script_parts import arguments_text, in_stream_error_message
from tests.fakes.wire_http import (
    LAST_CHUNK,
    ClientGone,
    ConnectionReader,
    read_request,
    send_error,
    send_json,
    stream_channel,
)

WIRES = {"anthropic": anthropic_wire, "ollama": ollama_wire, "gemini": gemini_wire,
         "bedrock": bedrock_wire}  # fmt: skip

# Connections waiting to be accepted. asyncio's default of 100 drops the SYNs of 300 clients
# connecting at once, which then retry after 1 s and 3 s: the benchmarks measured the fake's
# listen queue, not the playground. A provider's real front end takes thousands.
BACKLOG = 2048
MODEL_LISTS = frozenset({"/v1/models", "/v1beta/models", "/api/tags", "/foundation-models",
                         "/publishers/google/models"})  # fmt: skip


@dataclass
class StreamRecord:
    model: str
    started: float
    finished: float | None = None
    disconnected_at: float | None = None


@dataclass
class FakeState:
    api_key: str | None = None
    scripts: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    streams: list[StreamRecord] = field(default_factory=list)
    models_error: dict[str, Any] | None = None  # the next model list's error, once
    connections_accepted: int = 0
    connections_open: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_script(self, model: str) -> dict[str, Any] | None:
        with self.lock:
            if self.scripts:
                return self.scripts.pop(0)
        return builtin_script(model)

    def take_models_error(self) -> dict[str, Any] | None:
        with self.lock:
            error, self.models_error = self.models_error, None
            return error


class FakeProvider:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None):
        self.host = host
        self.port = port
        self.state = FakeState(api_key=api_key)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[asyncio.Task] = set()  # one handler task per open connection

    # -- control (Python side) ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def push_script(self, **script: Any) -> None:
        with self.state.lock:
            self.state.scripts.append(script)

    def push_models_error(self, status: int, body: Any, headers: dict[str, str] | None = None):
        """The next model-list request, in any dialect, answers this error (then lists again)."""
        with self.state.lock:
            self.state.models_error = {"status": status, "error_body": body,
                                       "headers": headers or {}}  # fmt: skip

    def reset(self) -> None:
        with self.state.lock:
            self.state.scripts.clear()
            self.state.requests.clear()
            self.state.streams.clear()
            self.state.models_error = None
            self.state.connections_accepted = 0

    def requests(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.requests)

    def connections_accepted(self) -> int:
        """TCP connections accepted since the start (or the last reset)."""
        with self.state.lock:
            return self.state.connections_accepted

    def connections_open(self) -> int:
        """TCP connections open now, idle keep-alive ones included."""
        with self.state.lock:
            return self.state.connections_open

    def wait_for_connections_closed(self, timeout: float = 5.0) -> bool:
        """True once no connection is open (the clients closed theirs), False after `timeout`."""
        deadline = time.monotonic() + timeout
        while self.connections_open():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def disconnects(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [record.__dict__.copy() for record in self.state.streams]

    def wait_for_disconnect(self, timeout: float = 5.0) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in self.disconnects():
                if record["disconnected_at"] is not None:
                    return record
            time.sleep(0.01)
        return None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeProvider:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, self.host, self.port, backlog=BACKLOG)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="fake-provider")
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return
        loop, server = self._loop, self._server

        async def shutdown() -> None:
            server.close()
            # Idle keep-alive connections wait for a next request that will not come.
            for handler in self._connections:
                handler.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    async def serve_forever(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, backlog=BACKLOG
        )
        self.port = self._server.sockets[0].getsockname()[1]
        print(self.base_url, flush=True)
        async with self._server:
            await self._server.serve_forever()

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: its requests one after another (keep-alive), until the client
        closes it or a response cannot be followed by another."""
        with self.state.lock:
            self.state.connections_accepted += 1
            self.state.connections_open += 1
        handler = asyncio.current_task()
        if handler is not None:
            self._connections.add(handler)
        incoming = ConnectionReader(reader)
        try:
            while True:
                request = await read_request(incoming)
                if request is None:
                    return
                keep_alive = await self._route(request, incoming, writer)
                if not keep_alive:
                    return
        except (ConnectionError, ClientGone):
            return
        finally:
            writer.close()
            self._connections.discard(handler)  # type: ignore[arg-type]
            with self.state.lock:
                self.state.connections_open -= 1

    async def _route(self, request: dict[str, Any], incoming: ConnectionReader, writer) -> bool:
        method, path = request["method"], request["path"].split("?")[0]
        if path.startswith("/openai/"):  # Azure: the same wire format at other addresses
            path = azure_path(path, request)
        if method == "GET" and path in MODEL_LISTS:
            scripted = self.state.take_models_error()
            if scripted is not None:
                await send_error(writer, scripted)
                return True
        if method == "GET" and path == "/v1/models":
            if not self._authorised(request):
                await send_json(writer, 401, auth_error())
                return True
            data = [{"id": model, "object": "model", "owned_by": "fake"} for model in MODELS]
            await send_json(writer, 200, {"object": "list", "data": data})
            return True
        if method == "POST" and path == "/v1/chat/completions":
            return await self._chat(request, incoming, writer, "openai")
        if method == "POST" and path == "/v1/messages":
            return await self._chat(request, incoming, writer, "anthropic")
        if method == "GET" and path == "/v1beta/models":
            if not self._authorised(request):
                await send_json(
                    writer, 403, gemini_wire.error(403, "PERMISSION_DENIED", "API key not valid.")
                )
                return True
            await send_json(writer, 200, gemini_wire.models(MODELS))
            return True
        if method == "GET" and path in ("/foundation-models", "/publishers/google/models"):
            return await self._catalogue(path, request, writer)
        if method == "POST" and "/publishers/google/models/" in path:  # Vertex AI
            path = "/v1beta/models/" + path.split("/publishers/google/models/", 1)[1]
        if (
            method == "POST"
            and path.startswith("/v1beta/models/")
            and path.endswith(":streamGenerateContent")
        ):
            request["model"] = path.removeprefix("/v1beta/models/").split(":")[0]
            return await self._chat(request, incoming, writer, "gemini")
        if method == "POST" and path.startswith("/model/") and path.endswith("/converse-stream"):
            request["model"] = unquote(
                path.removeprefix("/model/").removesuffix("/converse-stream")
            )
            return await self._chat(request, incoming, writer, "bedrock")
        if method == "POST" and path == "/api/chat":
            return await self._chat(request, incoming, writer, "ollama")
        if method == "GET" and path == "/api/tags":
            await send_json(writer, 200, ollama_wire.tags(MODELS))
            return True
        if path.startswith("/_control/"):
            return await self._control(method, path, request, writer)
        await send_json(writer, 404, {"error": {"message": f"no route {method} {path}"}})
        return True

    async def _catalogue(self, path: str, request: dict[str, Any], writer) -> bool:
        """Bedrock's control-plane model list (signed or a bearer) and Vertex's publisher
        catalogue (a bearer): every model, in each one's own shape."""
        authorization = request["headers"].get("authorization", "")
        if not authorization.startswith(("AWS4-HMAC-SHA256 ", "Bearer ")):
            await send_json(writer, 403, {"message": "Missing Authentication Token"})
        elif path == "/foundation-models":
            summaries = [{"modelId": m, "outputModalities": ["TEXT"],
                          "responseStreamingSupported": True} for m in MODELS]  # fmt: skip
            await send_json(writer, 200, {"modelSummaries": summaries})
        else:
            catalogue = [{"name": f"publishers/google/models/gemini-{m}"} for m in MODELS]
            await send_json(writer, 200, {"publisherModels": catalogue})
        return True

    def _authorised(self, request: dict[str, Any]) -> bool:
        """A bearer token (OpenAI style) or an x-api-key header (Anthropic style)."""
        if self.state.api_key is None:
            return True
        headers = request["headers"]
        return self.state.api_key in (
            headers.get("authorization", "").removeprefix("Bearer "),
            headers.get("x-api-key"),
            headers.get("x-goog-api-key"),
            headers.get("api-key"),
        )

    async def _control(self, method: str, path: str, request, writer) -> bool:
        if method == "POST" and path == "/_control/scripts":
            self.push_script(**json.loads(request["body"] or b"{}"))
            await send_json(writer, 200, {"ok": True})
        elif method == "POST" and path == "/_control/models_error":
            scripted = json.loads(request["body"] or b"{}")
            self.push_models_error(
                scripted["status"], scripted.get("body"), scripted.get("headers")
            )
            await send_json(writer, 200, {"ok": True})
        elif method == "POST" and path == "/_control/reset":
            self.reset()
            await send_json(writer, 200, {"ok": True})
        elif method == "POST" and path == "/_control/api_key":
            self.state.api_key = json.loads(request["body"] or b"{}").get("api_key")
            await send_json(writer, 200, {"ok": True})
        elif path == "/_control/requests":
            await send_json(writer, 200, self.requests())
        elif path == "/_control/disconnects":
            await send_json(writer, 200, self.disconnects())
        else:
            await send_json(writer, 404, {"error": {"message": "unknown control"}})
        return True

    async def _chat(self, request: dict[str, Any], incoming, writer, protocol: str) -> bool:
        try:
            body = json.loads(request["body"] or b"{}")
        except ValueError:
            await send_json(writer, 400, {"error": {"message": "body is not JSON"}})
            return True
        headers = request["headers"]
        auth = (
            headers.get("authorization")
            or headers.get("x-api-key")
            or headers.get("x-goog-api-key")
            or headers.get("api-key")
        )
        key_state = "absent" if not auth else "matched" if self._authorised(request) else "wrong"
        with self.state.lock:
            self.state.requests.append(
                {"path": request["path"], "body": body, "api_key": key_state,
                 "media": media(body), "received": media_received(body),
                 "received_at": request["received_at"]}
            )  # fmt: skip
        if not self._authorised(request):
            await send_json(writer, 401, auth_error(protocol))
            return True
        model = str(request.get("model") or body.get("model", ""))
        script = self.state.next_script(model)
        if script is None and protocol == "bedrock":
            await send_json(writer, 404, {"message": f"Could not resolve the model {model}."},
                             {"x-amzn-ErrorType": "ResourceNotFoundException:http://internal"})  # fmt: skip
            return True
        if script is None and protocol == "gemini":
            await send_json(
                writer, 404, gemini_wire.error(404, "NOT_FOUND", f"models/{model} is not found")
            )
            return True
        if script is None and protocol == "ollama":
            await send_json(
                writer, 404, {"error": f"model '{model}' not found, try pulling it first"}
            )
            return True
        if script is None and protocol == "anthropic":
            await send_json(
                writer, 404, anthropic_wire.error_body("not_found_error", f"model: {model}")
            )
            return True
        if script is None:
            await send_json(writer, 404, {"error": {
                "message": f"The model `{model}` does not exist or you do not have access to it.",
                "type": "invalid_request_error", "code": "model_not_found"}})  # fmt: skip
            return True
        if script.get("reject_stream_options") and "stream_options" in body:
            await send_json(writer, 400, {"error": {
                "message": "Unrecognized request argument supplied: stream_options",
                "type": "invalid_request_error"}})  # fmt: skip
            return True
        if script.get("status", 200) >= 400:
            await send_error(writer, script)
            return True
        await asyncio.sleep(script.get("first_token_delay_s", 0))
        tokens = script.get("tokens")
        if tokens is None:
            tokens = words("You said: " + last_user_text(body))
        forced = (body.get("tool_choice") or {}) if protocol == "anthropic" else {}
        if (
            isinstance(forced, dict)
            and forced.get("type") == "tool"
            and not script.get("tool_calls")
        ):
            # Structured output on Anthropic is a forced tool: answer with its input (sent as
            # it is when the scripted answer is not JSON).
            answer = "".join(tokens)
            try:
                arguments, raw = json.loads(answer), {}
            except ValueError:
                arguments, raw = {}, {"raw_tool_arguments": answer}
            script = {**script, **raw, "tool_calls": [
                {"id": "toolu_fake", "name": forced["name"], "arguments": arguments}]}  # fmt: skip
            tokens = []
        limit, stops = limits(body, protocol)
        if not script.get("tool_calls") and (limit is not None or stops):
            tokens, finish = apply_limits(list(tokens), limit, stops)
            script = {**script, "finish_reason": script.get("finish_reason", finish)}
        # Gemini streams by endpoint, Ollama unless told not to, the others when asked.
        streaming = {"gemini": True, "bedrock": True, "ollama": body.get("stream", True)}.get(
            protocol, body.get("stream")
        )
        if not streaming:
            await send_json(writer, 200, whole_response(model, tokens, script))
            return True
        return await self._stream(model, body, tokens, script, incoming, writer, protocol)

    async def _stream(self, model, body, tokens, script, incoming, writer, protocol) -> bool:
        """A streamed answer, chunked so its end is marked; True when the connection can
        carry the next request, False when the client left before the end."""
        record = StreamRecord(model=model, started=time.time())
        with self.state.lock:
            self.state.streams.append(record)
        content_type = {"ollama": "application/x-ndjson",
                        "bedrock": "application/vnd.amazon.eventstream"}.get(protocol, "text/event-stream")  # fmt: skip
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
        writer.write(head.encode())
        # Done means the client closed the connection; what it sends meanwhile is kept.
        watcher = asyncio.ensure_future(incoming.wait_closed())
        try:
            if protocol in WIRES:
                send, pause = stream_channel(writer, watcher)
                wire = WIRES[protocol]
                try:
                    await wire.emit(model, tokens, script, send, pause)
                except anthropic_wire.Stalled:
                    await watcher  # silent until the client leaves
                    raise ClientGone from None
            else:
                await self._emit(model, body, tokens, script, writer, watcher)
            # The end of the body, also after an in-stream error or without the dialect's
            # end marker (end_without_done): the client sees the stream end there.
            writer.write(LAST_CHUNK)
            await writer.drain()
            record.finished = time.time()
            return True
        except (ConnectionError, ClientGone):
            record.disconnected_at = time.time()
            return False
        finally:
            watcher.cancel()
            await asyncio.wait({watcher})  # its read must end before the next request's

    async def _emit_fast(self, model, tokens, send) -> None:
        """No delay: the cheapest bytes this process can make, sent in 16 KiB writes as a
        network would deliver them, so a benchmark measures its client, not this server."""
        head = json.dumps(delta_chunk(model, {"content": "\x00"})).split('"\\u0000"')
        block: list[bytes] = []
        size = 0
        for index, token in enumerate(tokens):
            piece = f"data: {head[0]}{json.dumps(token)}{head[1]}\n\n".encode()
            block.append(piece)
            size += len(piece)
            if index == 0 or size >= 16384:  # the first token alone: time to first token
                await send(b"".join(block))
                block, size = [], 0
        if block:
            await send(b"".join(block))

    async def _emit(self, model, body, tokens, script, writer, watcher) -> None:
        send, pause = stream_channel(writer, watcher)
        delay = script.get("delay_s", 0)
        started = time.monotonic()
        await send(sse_chunk(delta_chunk(model, {"role": "assistant", "content": None})))
        for reasoning in script.get("reasoning", []):
            await send(sse_chunk(delta_chunk(model, {"reasoning_content": reasoning})))
        paced = {"error_after_tokens", "stall_after_tokens", "drop_after_tokens"}
        fast = not delay and not paced & script.keys()
        if fast:
            await self._emit_fast(model, tokens, send)
        for index, token in enumerate([] if fast else tokens):
            if script.get("error_after_tokens") == index:
                message = in_stream_error_message(script, "The fake server failed mid-stream")
                await send(sse_chunk({"error": {"message": message, "type": "server_error"}}))
                return
            if script.get("stall_after_tokens") == index:
                await watcher  # keep the connection open and silent until the client leaves
                raise ClientGone
            if script.get("drop_after_tokens") == index:
                writer.transport.abort()  # mid-body: the client must say the connection broke
                raise ClientGone
            if script.get("stamp"):
                token = f"{token.rstrip()}@{time.time():.6f} "
            await send(sse_chunk(delta_chunk(model, {"content": token})))
            if index + 1 < len(tokens):  # the end follows the last token at once, as upstream
                # Paced from the start of the stream, so the delays do not add up to a drift.
                await pause(started + (index + 1) * delay - time.monotonic())
        for index, call in enumerate(script.get("tool_calls", [])):
            fragment = {"index": index, "id": call["id"], "type": "function",
                        "function": {"name": call["name"], "arguments": arguments_text(script, index)}}  # fmt: skip
            await send(sse_chunk(delta_chunk(model, {"tool_calls": [fragment]})))
        if script.get("end_without_done"):
            return
        finish = script.get("finish_reason", "tool_calls" if script.get("tool_calls") else "stop")
        await send(sse_chunk(delta_chunk(model, {}, finish)))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = script.get("usage") or {
                "prompt_tokens": prompt_tokens(body),
                "completion_tokens": len(tokens),
            }
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            await send(sse_chunk({"choices": [], "created": int(time.time()), "id": "chatcmpl-fake",
                               "model": model, "object": "chat.completion.chunk", "usage": usage}))  # fmt: skip
        await send(sse_chunk("[DONE]"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default=None)
    args = parser.parse_args()
    asyncio.run(FakeProvider(args.host, args.port, args.api_key).serve_forever())


if __name__ == "__main__":
    main()
