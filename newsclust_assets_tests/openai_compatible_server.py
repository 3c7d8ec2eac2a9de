"""A small OpenAI-compatible embeddings server for the tests, on 127.0.0.1.

It speaks ``POST /v1/embeddings`` as vLLM and OpenAI do (float and base64 encodings,
``dimensions``, bearer auth), so the tests drive the real ``openai`` client over real HTTP.
Vectors come from ``embed_fn``: by default a deterministic hashed bag of words (texts that
share words are close, so clustering still means something), or the offline MiniLM.

``hold_if(texts)`` holds matching requests until ``gate`` is set, so a test can act while a
step is certainly waiting on the endpoint (``held`` counts them). Failures are scripted per request: ``script`` is consumed one action per request, then
``always`` (default "ok") applies. Actions: "ok", ("status", code[, headers]),
"wrong_dim", "drop_one", ("sleep", seconds), and for chat ("answer", text).

``POST /v1/chat/completions`` answers as a chat model: ``chat_fn(messages)`` gives the
text (by default a name made of the first words of the first headline in the prompt).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+")


def hashed_embedding(texts: list[str], dim: int) -> np.ndarray:
    """Sum of one fixed pseudo-random vector per word: deterministic, shared words -> close."""
    out = np.zeros((len(texts), dim), np.float32)
    for i, text in enumerate(texts):
        tokens = _TOKEN.findall(text.lower()) or [text]
        for tok in tokens:
            seed = int.from_bytes(hashlib.sha256(tok.encode()).digest()[:8], "little")
            out[i] += np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return out


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)  # a client that went away (killed) is no error


class EmbeddingServer:
    def __init__(self, dim: int = 64, model: str = "test-embedder", api_key: str | None = None, embed_fn=None):
        self.dim = dim
        self.model = model
        self.api_key = api_key
        self.embed_fn = embed_fn or (lambda texts, d: hashed_embedding(texts, d))
        self.chat_fn = self.default_chat
        self.script: list = []
        self.always = "ok"
        self.delay_s = 0.0
        self.requests: list[dict] = []
        self.hold_if = None  # texts -> bool: such requests wait until ``gate`` is set
        self.gate = threading.Event()
        self.held = 0  # requests waiting at the gate now
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._http = _QuietServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def close(self):
        self._http.shutdown()
        self._http.server_close()

    @staticmethod
    def default_chat(messages: list[dict]) -> str:
        user = messages[-1]["content"]
        first = next((line[2:] for line in user.splitlines() if line.startswith("- ")), "news story of the day")
        words = re.findall(r"[A-Za-z0-9']+", first)[:6]
        return " ".join(words + ["story"] * max(0, 4 - len(words)))

    def inputs_received(self) -> list[str]:
        return [text for r in self.requests for text in r["input"]]

    def _next_action(self):
        with self._lock:
            return self.script.pop(0) if self.script else self.always

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code: int, payload: dict, headers: dict | None = None):
                body = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _error(self, code: int, message: str, headers: dict | None = None):
                self._send(code, {"error": {"message": message, "type": "test_error", "code": code}}, headers)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                texts = body.get("input")
                texts = [texts] if isinstance(texts, str) else list(texts or [])
                auth = self.headers.get("Authorization", "")
                with server._lock:
                    server.requests.append({"input": texts, "auth": auth, "body": body})
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    if server.hold_if is not None and server.hold_if(texts):
                        with server._lock:
                            server.held += 1
                        try:
                            server.gate.wait(600)
                        finally:
                            with server._lock:
                                server.held -= 1
                    self._answer(body, texts, auth)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self, body: dict, texts: list[str], auth: str):
                if self.path.rstrip("/") == "/v1/chat/completions":
                    return self._chat(body, auth)
                if self.path.rstrip("/") != "/v1/embeddings":
                    return self._error(404, f"no route {self.path}")
                if server.api_key is not None and auth != f"Bearer {server.api_key}":
                    # like some real servers, echo what was sent: the client must never show it
                    return self._error(401, f"invalid API key: {auth.removeprefix('Bearer ')}")
                if body.get("model") != server.model:
                    return self._error(404, f"model {body.get('model')!r} not found")
                if any(not t for t in texts):
                    return self._error(400, "input contains an empty string")
                if server.delay_s:
                    time.sleep(server.delay_s)
                action = server._next_action()
                if isinstance(action, tuple) and action[0] == "status":
                    return self._error(action[1], f"scripted HTTP {action[1]}", action[2] if len(action) > 2 else None)
                if isinstance(action, tuple) and action[0] == "sleep":
                    time.sleep(action[1])
                dim = int(body.get("dimensions") or server.dim)
                if action == "wrong_dim":
                    dim += 1
                vectors = np.asarray(server.embed_fn(texts, dim), np.float32)
                if action == "drop_one":
                    vectors = vectors[:-1]
                data = []
                for i, vec in enumerate(vectors):
                    emb = (
                        base64.b64encode(vec.astype("<f4").tobytes()).decode()
                        if body.get("encoding_format") == "base64"
                        else vec.tolist()
                    )
                    data.append({"object": "embedding", "index": i, "embedding": emb})
                tokens = sum(len(t.split()) for t in texts)
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": data,
                        "model": server.model,
                        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                    },
                )

            def _chat(self, body: dict, auth: str):
                if server.api_key is not None and auth != f"Bearer {server.api_key}":
                    return self._error(401, f"invalid API key: {auth.removeprefix('Bearer ')}")
                if body.get("model") != server.model:
                    return self._error(404, f"model {body.get('model')!r} not found")
                action = server._next_action()
                if isinstance(action, tuple) and action[0] == "status":
                    return self._error(action[1], f"scripted HTTP {action[1]}")
                if isinstance(action, tuple) and action[0] == "sleep":
                    time.sleep(action[1])
                text = (
                    action[1]
                    if isinstance(action, tuple) and action[0] == "answer"
                    else server.chat_fn(body["messages"])
                )
                self._send(
                    200,
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": server.model,
                        "choices": [
                            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )

        return Handler
