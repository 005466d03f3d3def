"""NangoSync: what a sync receives (Nango's NangoSync, snake_case; docs/sdk.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..runtime.context import RunContext
from .action import NangoAction
from .errors import SdkUsageError
from .origins import tracked_methods
from .records import RecordSink, id_hash

BASE_VARIANT = "base"
CHECKPOINT_MAX_BYTES = 64 * 1024  # a checkpoint's JSON, at most (the server refuses more too)
MERGING_STRATEGIES = ("override", "ignore_if_modified_after")


def aware(moment: datetime | None) -> datetime | None:
    """`moment` with a timezone: UTC when it has none (as Nango's Date always is)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@tracked_methods  # (origins.py)
class NangoSync(NangoAction):
    """What a sync receives: NangoAction plus records, last_sync_date and checkpoints."""

    def __init__(self, ctx: RunContext) -> None:
        super().__init__(ctx)
        self.last_sync_date: datetime | None = aware(ctx.last_sync_date)
        self.track_deletes: bool = bool(ctx.track_deletes)
        self.variant: str = ctx.variant or BASE_VARIANT
        self._records = RecordSink(ctx)
        self._checkpoint: dict[str, Any] | None = (
            dict(ctx.checkpoint) if isinstance(ctx.checkpoint, dict) else None
        )
        self._merging: dict[str, str] = {}
        self._previous: dict[str, dict[str, Any]] | None = None

    def model_full_name(self, model: str) -> str:
        """`model`, or `model::variant` for a variant of the sync (Nango's modelFullName)."""
        return model if self.variant == BASE_VARIANT else f"{model}::{self.variant}"

    # -- records -------------------------------------------------------------------------------

    async def batch_save(self, records: list[Any], model: str | type) -> bool:
        """Save records (dicts or model instances); a repeated id keeps its last occurrence."""
        await self._records.put("save", records, model)
        return True

    async def batch_send(self, records: list[Any], model: str | type) -> bool:
        """Deprecated in Nango: batch_save."""
        return await self.batch_save(records, model)

    async def batch_update(self, records: list[Any], model: str | type) -> bool:
        """Update records: each is its `id` plus the fields that change (only those are checked)."""
        await self._records.put("update", records, model)
        return True

    async def batch_delete(self, records: list[Any], model: str | type) -> bool:
        """Delete records: each needs its `id` (other fields are kept as sent)."""
        await self._records.put("delete", records, model)
        return True

    async def get_records_by_ids(self, ids: list[Any], model: str | type) -> dict[str, Any]:
        """{id: record} for the ids the previous run of this sync on this connection left saved.

        A dryrun reads the last run that ended well (`.nango/runs`); ids it did not have are absent.
        A run on the runtime server reads its records cache (records not deleted).
        """
        if not isinstance(ids, (list, tuple, set, frozenset)):
            raise SdkUsageError(f"get_records_by_ids() takes a list of ids, not {type(ids).__name__}")
        name = self._records.model_name(model)
        if self._ctx.server_run:
            from ..runtime.nango_server import cached_records

            found = await cached_records(self._ctx, self.model_full_name(name), [str(i) for i in ids])
            return {rid: found[str(rid)] for rid in ids if str(rid) in found}
        previous = self._previous_records().get(name, {})
        return {rid: previous[str(rid)] for rid in ids if str(rid) in previous}

    async def set_merging_strategy(self, merging: dict[str, Any], model: str | type) -> None:
        """Nango's merging strategy for later saves: {"strategy": "override" | "ignore_if_modified_after"}.

        Recorded only: a dryrun saves nothing, so there is nothing to merge with.
        """
        strategy = (merging or {}).get("strategy") if isinstance(merging, dict) else None
        if strategy not in MERGING_STRATEGIES:
            raise SdkUsageError(
                f"set_merging_strategy(): strategy must be one of {', '.join(MERGING_STRATEGIES)}, not {strategy!r}"
            )
        self._merging[self._records.model_name(model)] = strategy

    async def delete_records_from_previous_executions(self, model: str | type) -> dict[str, Any]:
        """Delete the records the previous run had and this one did not save: {"deleted_keys": [...]}.

        Call it at the end of a full sync. The deletes show as `delete` records of the run.
        On the runtime server the cache does it when the run has ended well (a failed run deletes
        nothing), so the keys are not known yet here: `deleted_keys` is empty (docs/server.md).
        """
        name = self._records.model_name(model)
        if self._ctx.server_run:
            self._ctx.emit({"type": "delete_outdated", "model": self.model_full_name(name)})
            return {"deleted_keys": []}
        missing = self._missing(name)
        if missing:
            await self._records.put("delete", [{"id": rid} for rid in missing], name)
        return {"deleted_keys": [str(rid) for rid in missing]}

    def _previous_records(self) -> dict[str, dict[str, Any]]:
        if self._previous is None:
            from ..runtime.records_log import fold, latest_run_file, read_lines

            ctx = self._ctx
            if ctx.replayer is not None:  # a replay sees what the recorded run saw
                recorded = ctx.extra.get("recorded_previous")
                self._previous = recorded if isinstance(recorded, dict) else {}
            else:
                path = latest_run_file(
                    ctx.root, ctx.environment, ctx.integration, ctx.script_name, self.connection_id
                )
                self._previous = fold(read_lines(path)) if path is not None else {}
            ctx.extra["previous_used"] = self._previous
        return self._previous

    def _missing(self, name: str) -> list[Any]:
        """The ids of the previous run's `name` records that this run neither saved nor deleted."""
        rids = [record.get("id", key) for key, record in self._previous_records().get(name, {}).items()]
        hashes = [id_hash(rid) for rid in rids]
        wanted = set(hashes)
        seen: set[int] = set()
        for group in (self._records.saved.get(name), self._records.deleted.get(name)):
            if group is not None:
                seen |= group.present(wanted)
        return [rid for rid, hashed in zip(rids, hashes) if hashed not in seen]

    async def _end_of_run(self) -> None:
        """What Nango does after a sync: with `track_deletes`, delete what the previous run had and this one lacks."""
        if not self.track_deletes or self._ctx.server_run:  # the server's cache applies it itself
            return
        for name in self._ctx.outputs:
            if self._ctx.models.get(name) is None:
                continue
            missing = self._missing(name)
            if missing:
                await self.log(
                    f"track_deletes: {len(missing)} {name} record(s) of the previous run are gone: reported as deletes"
                )
                await self._records.put("delete", [{"id": rid} for rid in missing], name)

    # -- checkpoints ---------------------------------------------------------------------------

    async def get_checkpoint(self) -> dict[str, Any] | None:
        """The checkpoint saved last: earlier in this run, or (on the runtime server) by an earlier
        run of this sync on this connection; None when there is none (a dry run starts without)."""
        return None if self._checkpoint is None else dict(self._checkpoint)

    async def save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Remember where the sync got to (in memory for a dry run; the runtime server keeps it
        for the next runs, even when this one fails)."""
        if not isinstance(checkpoint, dict):
            raise SdkUsageError("save_checkpoint() takes a dict")
        try:
            size = len(json.dumps(checkpoint, default=str).encode())
        except (TypeError, ValueError) as exc:
            raise SdkUsageError(f"save_checkpoint(): the checkpoint cannot be sent as JSON: {exc}") from None
        if size > CHECKPOINT_MAX_BYTES:
            raise SdkUsageError(
                f"save_checkpoint(): a checkpoint is at most {CHECKPOINT_MAX_BYTES // 1024} KiB of JSON, not {size:,} bytes"
            )
        self._checkpoint = dict(checkpoint)
        self._send_checkpoint()

    async def clear_checkpoint(self) -> None:
        """Forget the checkpoint."""
        self._checkpoint = None
        self._send_checkpoint()

    def _send_checkpoint(self) -> None:
        if self._ctx.server_run:  # the server stores it at once, in order after the batches before it
            self._ctx.emit({"type": "checkpoint", "checkpoint": self._checkpoint})
