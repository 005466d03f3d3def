"""The fields of one Salesforce contact: each field's name, label and type, with its value.

An id that Salesforce does not know is an ActionError the caller sees, not a crash.
"""

from nango_tui.sdk import ActionError, HttpError, NangoAction

from models import ContactField, ContactFields, IdEntity

API = "/services/data/v60.0/sobjects/Contact"


async def run_action(nango: NangoAction, input: IdEntity) -> ContactFields:
    try:
        contact = (await nango.get(f"{API}/{input.id}")).json()
    except HttpError as error:
        if error.status == 404:
            raise ActionError({"message": f"no Salesforce contact has the id {input.id!r}", "id": input.id}) from None
        raise

    describe = (await nango.get(f"{API}/describe")).json()
    fields = [
        ContactField(name=field["name"], label=field["label"], type=field["type"], value=contact.get(field["name"]))
        for field in describe["fields"]
    ]
    return ContactFields(id=contact["Id"], fields=fields)
