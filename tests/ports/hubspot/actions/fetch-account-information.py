"""The HubSpot portal's details: an action without input."""

from models import AccountInformation

from nango_tui.sdk import NangoAction


async def run_action(nango: NangoAction) -> AccountInformation:
    response = await nango.get(endpoint="/account-info/v3/details")
    details = response.data
    return AccountInformation(
        id=str(details["portalId"]), time_zone=details["timeZone"], currency=details["companyCurrency"]
    )
