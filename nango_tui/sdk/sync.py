"""NangoSync: what a sync receives (Nango's NangoSync, snake_case; docs/sdk.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..runtime.context import RunContext
from .action import NangoAction
from .errors import SdkUsageError
from .records import RecordSink, id_hash

BASE_VARIANT = "base"
MERGING_STRATEGIES = ("override", "ignore_if_modified_after")


def aware(moment: datetime | None) -> datetime | None:
    """`moment` with a timezone: UTC when it has none (as Nango's Date always is)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class NangoSync(NangoAction):
    """What a sync receives: NangoAction plus records, last_sync_date and checkpoints."""

    def __init__(self, ctx: RunContext) -> None:
        super().__init__(ctx)
        self.last_sync_date: datetime | None = aware(ctx.last_sync_date)
        self.track_deletes: bool = bool(ctx.track_deletes)
        self.variant: str = ctx.variant or BASE_VARIANT
        self._records = RecordSink(ctx)
        self._checkpoint: dict[str, Any] | None = None
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
        """
        if not isinstance(ids, (list, tuple, set, frozenset)):
            raise SdkUsageError(f"get_records_by_ids() takes a list of ids, not {type(ids).__name__}")
        name = self._records.model_name(model)
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
        """
        name = self._records.model_name(model)
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
        saved = self._records.saved.get(name)
        deleted = self._records.deleted.get(name)
        out = []
        for key, record in self._previous_records().get(name, {}).items():
            rid = record.get("id", key)
            hashed = id_hash(rid)
            if (saved is None or hashed not in saved) and (deleted is None or hashed not in deleted):
                out.append(rid)
        return out

    async def _end_of_run(self) -> None:
        """What Nango does after a sync: with `track_deletes`, delete what the previous run had and this one lacks."""
        if not self.track_deletes:
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
        """The checkpoint saved earlier in this run (None at the start of a dry run)."""
        return None if self._checkpoint is None else dict(self._checkpoint)

    async def save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Remember where the sync got to (in memory for a dry run)."""
        if not isinstance(checkpoint, dict):
            raise SdkUsageError("save_checkpoint() takes a dict")
        self._checkpoint = dict(checkpoint)

    async def clear_checkpoint(self) -> None:
        """Forget the checkpoint."""
        self._checkpoint = None
