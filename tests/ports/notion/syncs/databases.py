"""Notion databases through search: a POST, so the cursor goes in the body (Nango's rule)."""

from nango_tui.sdk import NangoSync


async def fetch_data(nango: NangoSync) -> None:
    config = {
        "endpoint": "/v1/search",
        "method": "POST",
        "data": {"filter": {"value": "database", "property": "object"}},
        "paginate": {"limit": 2},
        "retries": 3,
    }
    async for page in nango.paginate(config):
        await nango.batch_save(
            [
                {
                    "id": db["id"],
                    "title": "".join(part["plain_text"] for part in db["title"]),
                    "url": db["url"],
                    "last_edited_time": db["last_edited_time"],
                }
                for db in page
            ],
            "NotionDatabase",
        )
