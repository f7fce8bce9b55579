"""Request body size limit (ASGI middleware): 413 before the body reaches a route."""

from __future__ import annotations

import json
from typing import Any


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` (declared or streamed) with 413."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _reply(send, 400, "Content-Length is not a number.")
                return
            if size > self.max_bytes:
                await _reply(send, 413, self._message(size))
                return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            total += len(body)
            if total > self.max_bytes:
                await _reply(send, 413, self._message(total))
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        data = b"".join(chunks)
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _message(self, size: int) -> str:
        return (f"Request body of {size} bytes is over the limit of {self.max_bytes} bytes "
                "(a scenario document is a few KB).")


async def _reply(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail, "error": "TooLarge" if status == 413 else
                       "BadRequest"}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class CachedResponses:
    """Answer a GET whose response is already cached (same path, same query as the route
    reads it, same store version) before validation: the route that computed it filled the
    cache (:func:`critmin.api.deps.cached`)."""

    def __init__(self, app: Any, cache: Any, store: Any, router: Any) -> None:
        self.app = app
        self.cache = cache
        self.store = store
        self.router = router
        self._routes: dict[str, Any] = {}

    def _route(self, scope: dict) -> Any:
        """The route that would answer ``scope`` (remembered per path)."""
        from starlette.routing import Match

        path = scope["path"]
        route = self._routes.get(path)
        if route is None:
            for candidate in self.router.routes:
                match, _ = candidate.matches(scope)
                if match is Match.FULL:
                    route = candidate
                    break
            if route is not None:
                if len(self._routes) > 4096:
                    self._routes.clear()
                self._routes[path] = route
        return route

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and \
                scope["path"].startswith("/api/"):
            from critmin.api.deps import response_key

            route = self._route(scope) if self.cache.size > 0 else None
            try:
                key = response_key(scope, route, self.store) if route is not None else None
            except Exception:  # no store: the route answers 503
                key = None
            if key is not None:
                hit = self.cache.raw(key)
                if hit is not None:
                    body, media_type = hit
                    await send({"type": "http.response.start", "status": 200,
                                "headers": [(b"content-type", media_type.encode()),
                                            (b"content-length", str(len(body)).encode()),
                                            (b"x-cache", b"hit")]})
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)
