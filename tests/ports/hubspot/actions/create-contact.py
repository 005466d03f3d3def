"""Create a HubSpot contact: `data=` is the JSON body, as in Nango."""

from models import CreateContact, HubspotContact

from nango_tui.sdk import NangoAction


async def run_action(nango: NangoAction, input: CreateContact) -> HubspotContact:
    response = await nango.post(
        endpoint="/crm/v3/objects/contacts",
        data={
            "properties": {"firstname": input.first_name, "lastname": input.last_name, "email": input.email}
        },
        retries=3,
    )
    if response.status != 201:
        raise nango.ActionError({"message": "HubSpot did not create the contact", "status": response.status})
    created = response.data
    props = created["properties"]
    return HubspotContact(
        id=created["id"],
        first_name=props.get("firstname"),
        last_name=props.get("lastname"),
        email=props.get("email"),
        lead_score=None,
        created_at=created["createdAt"],
    )
