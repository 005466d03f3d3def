"""Zendesk tickets from the incremental export: next_page links, checkpoints, deleted tickets."""

from urllib.parse import urlsplit

from nango_tui.sdk import NangoSync


async def fetch_data(nango: NangoSync) -> None:
    checkpoint = await nango.get_checkpoint()
    start_time = checkpoint["start_time"] if checkpoint else "0"
    if nango.last_sync_date is not None:
        start_time = str(int(nango.last_sync_date.timestamp()))
    next_path = None
    while True:
        if next_path:
            response = await nango.get(endpoint=next_path, retries=3)
        else:
            response = await nango.get(
                endpoint="/api/v2/incremental/tickets", params={"start_time": start_time}, retries=3
            )
        data = response.data
        tickets = data["tickets"]
        deleted = [{"id": str(t["id"])} for t in tickets if t["status"] == "deleted"]
        kept = [
            {
                "id": str(t["id"]),
                "subject": t["subject"],
                "status": t["status"],
                "priority": t.get("priority"),
                "tags": t.get("tags") or [],
                "updated_at": t["updated_at"],
            }
            for t in tickets
            if t["status"] != "deleted"
        ]
        if kept:
            await nango.batch_save(kept, "Ticket")
        if deleted:
            await nango.batch_delete(deleted, "Ticket")
        await nango.save_checkpoint({"start_time": str(data["end_time"])})
        if data["end_of_stream"] or not data.get("next_page") or data["count"] == 0:
            break
        link = urlsplit(data["next_page"])
        following = link.path + "?" + link.query
        if following == next_path:
            break
        next_path = following
