"""What scripts import: `NangoSync`, `NangoAction`, `ActionError` (see DESIGN.md "Script API")."""

from ..runtime.errors import HttpError  # what nango.get/post... raise on an error status; scripts catch it
from .errors import ActionError, InvalidInputError, InvalidRecordsError, RecordLimitReached, SdkUsageError
from .nango import NangoAction, NangoSync
from .options import ProxyConfig
from .types import PaginateConfig

__all__ = [
    "ActionError",
    "HttpError",
    "InvalidInputError",
    "InvalidRecordsError",
    "NangoAction",
    "NangoSync",
    "PaginateConfig",
    "ProxyConfig",
    "RecordLimitReached",
    "SdkUsageError",
]
