"""Salesforce contacts, incrementally: those modified since the last run (all on the first).

Salesforce answers a SOQL query in batches; each batch but the last carries `nextRecordsUrl`,
a path to GET for the next one. The base URL is the connection's `instance_url`.
"""

from datetime import timezone

from nango_tui.sdk import NangoSync

from models import Contact

QUERY = "SELECT Id, FirstName, LastName, Email, AccountId, LastModifiedDate FROM Contact"


async def fetch_data(nango: NangoSync) -> None:
    soql = QUERY
    if nango.last_sync_date:
        # SOQL wants a dateTime literal, unquoted, in UTC
        since = nango.last_sync_date.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        soql += f" WHERE LastModifiedDate > {since}"
    soql += " ORDER BY LastModifiedDate ASC"

    async for records in nango.paginate(
        "/services/data/v60.0/query",
        params={"q": soql},
        paginate={
            "type": "link",
            "link_path_in_response_body": "nextRecordsUrl",
            "response_path": "records",
        },
    ):
        contacts = [to_contact(record) for record in records]
        await nango.batch_save(contacts, "Contact")


def to_contact(record: dict) -> Contact:
    return Contact(
        id=record["Id"],
        first_name=record["FirstName"] or "",
        last_name=record["LastName"],
        email=record["Email"],
        account_id=record["AccountId"],
        last_modified_date=record["LastModifiedDate"],
    )
