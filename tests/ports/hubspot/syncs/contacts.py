"""HubSpot contacts: the provider's default pagination (cursor `paging.next.after` in the query)."""

from models import HubspotContact

from nango_tui.sdk import NangoSync

PROPERTIES = "firstname,lastname,email,createdate,hs_lead_score"


async def fetch_data(nango: NangoSync) -> None:
    async for page in nango.paginate(
        {
            "endpoint": "/crm/v3/objects/contacts",
            "params": {"properties": PROPERTIES},
            "paginate": {"limit": 3},
        }
    ):
        contacts = [
            HubspotContact(
                id=record["id"],
                first_name=record["properties"].get("firstname"),
                last_name=record["properties"].get("lastname"),
                email=record["properties"].get("email"),
                lead_score=record["properties"].get("hs_lead_score"),
                created_at=record["createdAt"],
            )
            for record in page
        ]
        await nango.batch_save(contacts, "HubspotContact")
