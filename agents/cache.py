"""The response cache: the same model, prompt and parameters give the stored answer, no call made.

Configured by location, so the setting can travel to Dask workers and each worker process opens
its own handle: a file path (or `sqlite:///path`) for SQLite — the embedded default, shared by the
worker processes of one machine (WAL mode) — or a `redis://` URL for Redis, shared by a cluster.

The key is a SHA-256 over the provider, the model, the endpoint (two OpenAI-compatible servers
serving "llama3" are different models), the system and user prompt, the sampling parameters, and
a `scope`: the workbench passes the user id, so one user's cached answers are never served to
another (the mere hit would tell them someone asked the same thing). Keys and credentials never
enter the cache; only answers do.

LangChain's caches were considered: they key on LangChain's serialised model (which includes
client settings) and are bypassed when streaming, which is how the engine calls every model.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit


@dataclass(frozen=True)
class CacheConfig:
    """Where the cache lives: `sqlite:///abs/path.db`, a plain path, or `redis://host:port/db`."""

    location: str
    ttl_s: float | None = None  # Redis only: forget answers after this long

    @classmethod
    def parse(cls, value: str | Path | CacheConfig | None) -> CacheConfig | None:
        if value is None or isinstance(value, CacheConfig):
            return value
        text = str(value).strip()
        if not text:
            raise ValueError("cache: give a file path, sqlite:///path or redis://host:port/db")
        scheme = urlsplit(text).scheme
        if scheme in ("redis", "rediss", "unix"):
            return cls(text)
        if scheme == "sqlite":
            path = text.removeprefix("sqlite://")
            if not path.startswith("/"):
                raise ValueError(f"cache: {text!r} needs an absolute path: sqlite:///abs/path.db")
            return cls(f"sqlite://{path}")
        if scheme and len(scheme) > 1:
            raise ValueError(f"cache: unsupported location {text!r} (use a path or redis://)")
        return cls(f"sqlite://{Path(text).expanduser().resolve()}")

    @property
    def kind(self) -> str:
        return "sqlite" if self.location.startswith("sqlite://") else "redis"


def cache_key(
    *,
    model: str,
    base_url: str | None,
    system: str | None,
    prompt: str,
    params: dict[str, Any],
    scope: str | None,
) -> str:
    material = json.dumps(
        {
            "v": 1,
            "model": model,
            "base_url": base_url,
            "system": system,
            "prompt": prompt,
            "params": params,
            "scope": scope,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class ResponseCache(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, answer: str) -> None: ...

    async def aclose(self) -> None: ...


class SQLiteCache:
    """Answers in one SQLite table; blocking calls run in a thread, off the event loop."""

    def __init__(self, path: str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses ("
                "key TEXT PRIMARY KEY, answer TEXT NOT NULL, created_at REAL NOT NULL)"
            )
            self._db.commit()

    def _get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT answer FROM responses WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _put(self, key: str, answer: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, answer, created_at) VALUES (?, ?, ?)",
                (key, answer, time.time()),
            )
            self._db.commit()

    async def get(self, key: str) -> str | None:
        return await asyncio.to_thread(self._get, key)

    async def put(self, key: str, answer: str) -> None:
        await asyncio.to_thread(self._put, key, answer)

    async def aclose(self) -> None:
        with self._lock:
            self._db.close()


class RedisCache:
    PREFIX = "agents:response:"

    def __init__(self, url: str, ttl_s: float | None) -> None:
        import redis.asyncio

        self._redis = redis.asyncio.from_url(url)
        self._ttl = int(ttl_s) if ttl_s else None

    async def get(self, key: str) -> str | None:
        value = await self._redis.get(self.PREFIX + key)
        return value.decode("utf-8") if value is not None else None

    async def put(self, key: str, answer: str) -> None:
        await self._redis.set(self.PREFIX + key, answer.encode("utf-8"), ex=self._ttl)

    async def aclose(self) -> None:
        await self._redis.aclose()


_sqlite_handles: dict[str, SQLiteCache] = {}
_redis_handles: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[CacheConfig, RedisCache]]
_redis_handles = weakref.WeakKeyDictionary()
_handles_lock = threading.Lock()


def open_cache(config: CacheConfig) -> ResponseCache:
    """This process's handle on the cache (Redis: one per event loop, its client is bound to it)."""
    if config.kind == "sqlite":
        path = config.location.removeprefix("sqlite://")
        with _handles_lock:
            handle = _sqlite_handles.get(path)
            if handle is None:
                handle = _sqlite_handles[path] = SQLiteCache(path)
        return handle
    loop = asyncio.get_running_loop()
    handles = _redis_handles.setdefault(loop, {})
    if config not in handles:
        handles[config] = RedisCache(config.location, config.ttl_s)
    return handles[config]


async def close_caches() -> None:
    """Close this loop's Redis clients (SQLite handles live as long as the process)."""
    handles = _redis_handles.pop(asyncio.get_running_loop(), {})
    for handle in handles.values():
        await handle.aclose()
