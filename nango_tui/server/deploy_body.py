"""The body of Nango's deploy calls (`POST /sync/deploy/confirmation`, `POST /sync/deploy`).

Nango's field names (RUNTIME.md §1); where we differ: `fileBody` carries `py` (the Python source),
the body adds `modelsPy`, and a flow may carry `mocks` (saved responses, for demo connections that
replay them). Strict: an unknown or mistyped field is refused with its path.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")  # names that become file names on the server
MAX_SOURCE = 2 * 1024 * 1024  # bytes of one script
MAX_MOCKS = 64 * 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EndpointBody(_Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str = Field(min_length=1, max_length=1024, pattern=r"^/")
    group: str | None = None


class FileBody(_Strict):
    py: str = Field(max_length=MAX_SOURCE)
    js: str | None = None
    ts: str | None = None


class FlowMetadata(_Strict):
    description: str | None = None
    scopes: list[str] = Field(default_factory=list)


class FlowConfig(_Strict):
    type: Literal["sync", "action"]
    syncName: str
    providerConfigKey: str
    models: list[str] = Field(default_factory=list)
    runs: str | None = None
    auto_start: bool = True
    track_deletes: bool = False
    sync_type: Literal["incremental", "full"] | None = None
    input: str | None = None
    endpoints: list[EndpointBody] = Field(default_factory=list)
    version: str | None = None
    metadata: FlowMetadata = Field(default_factory=FlowMetadata)
    attributes: dict[str, Any] = Field(default_factory=dict)
    webhookSubscriptions: list[str] = Field(default_factory=list)
    fileBody: FileBody
    mocks: str | None = Field(default=None, max_length=MAX_MOCKS)

    @field_validator("syncName", "providerConfigKey")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not NAME.match(value) or ".." in value:
            raise ValueError("must be letters, digits, '-', '_' or '.', starting with a letter or digit")
        return value

    @model_validator(mode="after")
    def _rules(self) -> FlowConfig:
        if self.type == "sync":
            if self.track_deletes and self.sync_type == "incremental":
                raise ValueError("track_deletes cannot be used with sync_type incremental")
            if not self.runs:
                raise ValueError("a sync needs `runs`")
        return self


class DeployBody(_Strict):
    flowConfigs: list[FlowConfig]
    onEventScriptsByProvider: list[dict[str, Any]] | None = None
    postConnectionScriptsByProvider: list[dict[str, Any]] | None = None
    jsonSchema: dict[str, Any] | None = None
    nangoYamlBody: str | None = Field(default=None, max_length=MAX_SOURCE)
    modelsPy: str | None = Field(default=None, max_length=MAX_SOURCE)
    reconcile: bool = False
    debug: bool = False
    singleDeployMode: bool = False
    sdkVersion: str | None = None

    @model_validator(mode="after")
    def _unique(self) -> DeployBody:
        seen = set()
        for flow in self.flowConfigs:
            key = (flow.providerConfigKey, flow.syncName)
            if key in seen:
                raise ValueError(f"{flow.providerConfigKey}/{flow.syncName} is in flowConfigs twice")
            seen.add(key)
        return self
