"""What scripts import: `NangoSync`, `NangoAction`, `ActionError` (see DESIGN.md "Script API")."""

from .errors import ActionError, InvalidRecordsError, RecordLimitReached, SdkUsageError
from .nango import NangoAction, NangoSync

__all__ = [
    "ActionError",
    "InvalidRecordsError",
    "NangoAction",
    "NangoSync",
    "RecordLimitReached",
    "SdkUsageError",
]
