"""An imitation of the Salesforce REST API (v60.0) for Contacts.

What it answers, as Salesforce does:
- `GET /services/data/vNN.N/query?q=SOQL`: `SELECT f1, f2 FROM Contact [WHERE cond [AND cond]]
  [ORDER BY f [ASC|DESC]] [LIMIT n]`, conditions `Field op value` with op in = != < <= > >=,
  dateTime literals unquoted (a quoted date is MALFORMED_QUERY, like Salesforce); answers
  `{totalSize, done, records, nextRecordsUrl?}`, records carrying `attributes`.
- `GET /services/data/vNN.N/query/<locator>-<offset>`: the next batch (`nextRecordsUrl`).
- `GET /services/data/vNN.N/sobjects/Contact/describe`, `GET .../sobjects/Contact/<id>[?fields=a,b]`.
- Errors as a list `[{"message", "errorCode"}]`: INVALID_SESSION_ID (401), NOT_FOUND (404),
  MALFORMED_QUERY / INVALID_FIELD / INVALID_TYPE (400).
Deviation: the batch size defaults to 10 (Salesforce: 2000, minimum 200) so that two dozen
contacts span three pages; `Sforce-Query-Options: batchSize=N` sets it, as on Salesforce.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .base import FakeServer, Request, Response, serve_forever

TOKEN = "fake-salesforce-token"
DEFAULT_BATCH_SIZE = 10

# (first, last, email or None, account or None, title, city, last modified)
_PEOPLE = [
    ("Ada", "Lovelace", "ada@analytical.example", "001A", "CTO", "London", "2024-01-03T09:15:00"),
    ("Grace", "Hopper", "grace@navy.example", "001B", "Rear Admiral", "Arlington", "2024-01-05T14:02:11"),
    ("Alan", "Turing", "alan@bletchley.example", "001A", "Researcher", "Wilmslow", "2024-01-08T08:45:30"),
    (
        "Katherine",
        "Johnson",
        "katherine@nasa.example",
        "001C",
        "Mathematician",
        "Hampton",
        "2024-01-11T16:20:00",
    ),
    ("Edsger", "Dijkstra", None, "001D", "Professor", "Austin", "2024-01-15T10:00:00"),
    ("Barbara", "Liskov", "barbara@mit.example", "001E", "Professor", "Cambridge", "2024-01-19T11:11:11"),
    ("Donald", "Knuth", None, None, "Author", "Stanford", "2024-01-22T07:30:00"),
    ("Margaret", "Hamilton", "margaret@apollo.example", "001C", "Director", "Boston", "2024-01-26T13:45:00"),
    ("Dennis", "Ritchie", "dmr@bell.example", "001F", "Engineer", "Murray Hill", "2024-02-01T09:00:00"),
    ("Ken", "Thompson", "ken@bell.example", "001F", "Engineer", "Murray Hill", "2024-02-03T09:05:00"),
    ("Frances", "Allen", "fran@ibm.example", "001G", "Fellow", "Yorktown", "2024-02-07T15:30:00"),
    ("John", "McCarthy", None, "001E", "Professor", "Stanford", "2024-02-12T12:00:00"),
    ("Radia", "Perlman", "radia@dec.example", None, "Architect", "Redmond", "2024-02-16T17:25:00"),
    ("Tim", "Berners-Lee", "tim@cern.example", "001H", "Director", "Geneva", "2024-02-20T08:08:08"),
    ("Hedy", "Lamarr", "hedy@mgm.example", None, "Inventor", "Los Angeles", "2024-02-24T19:40:00"),
    ("Linus", "Torvalds", "linus@kernel.example", "001I", "Maintainer", "Portland", "2024-03-01T06:00:00"),
    (
        "Guido",
        "van Rossum",
        "guido@python.example",
        "001J",
        "BDFL Emeritus",
        "Belmont",
        "2024-03-04T10:30:00",
    ),
    ("Anita", "Borg", "anita@systers.example", "001G", "Founder", "Palo Alto", "2024-03-07T14:14:14"),
    ("Bjarne", "Stroustrup", None, "001F", "Designer", "New York", "2024-03-11T09:45:00"),
    ("Shafi", "Goldwasser", "shafi@mit.example", "001E", "Professor", "Berkeley", "2024-03-14T11:00:00"),
    ("Leslie", "Lamport", "leslie@msr.example", "001K", "Scientist", "Mountain View", "2024-03-18T16:00:00"),
    ("Jean", "Sammet", "jean@ibm.example", "001G", "Manager", "Boston", "2024-03-21T10:10:10"),
    ("Niklaus", "Wirth", None, None, "Professor", "Zurich", "2024-03-25T08:00:00"),
    ("Sophie", "Wilson", "sophie@acorn.example", "001L", "Designer", "Cambridge", "2024-03-28T12:34:56"),
]

# name -> (label, type, length, nillable, updateable)
CONTACT_FIELDS: dict[str, tuple[str, str, int, bool, bool]] = {
    "Id": ("Contact ID", "id", 18, False, False),
    "IsDeleted": ("Deleted", "boolean", 0, False, False),
    "AccountId": ("Account ID", "reference", 18, True, True),
    "FirstName": ("First Name", "string", 40, True, True),
    "LastName": ("Last Name", "string", 80, False, True),
    "Name": ("Full Name", "string", 121, False, False),
    "Title": ("Title", "string", 128, True, True),
    "Email": ("Email", "email", 80, True, True),
    "MailingCity": ("Mailing City", "string", 40, True, True),
    "HasOptedOutOfEmail": ("Email Opt Out", "boolean", 0, False, True),
    "CreatedDate": ("Created Date", "datetime", 0, False, False),
    "LastModifiedDate": ("Last Modified Date", "datetime", 0, False, False),
}


def _sf_datetime(naive_iso: str) -> str:
    return naive_iso + ".000+0000"


def contacts() -> list[dict[str, Any]]:
    """The fixed data set, every field, in Id order."""
    rows = []
    for n, (first, last, email, account, title, city, modified) in enumerate(_PEOPLE, start=1):
        rows.append(
            {
                "Id": f"0035g00000Xk{n:03d}AAA",
                "IsDeleted": False,
                "AccountId": f"{account}5g00000Qa1AAAA" if account else None,
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "Title": title,
                "Email": email,
                "MailingCity": city,
                "HasOptedOutOfEmail": n % 5 == 0,
                "CreatedDate": _sf_datetime(f"2023-11-{(n % 28) + 1:02d}T12:00:00"),
                "LastModifiedDate": _sf_datetime(modified),
            }
        )
    return rows


def _error(status: int, code: str, message: str) -> Response:
    return Response(status, [{"message": message, "errorCode": code}])


def _not_found() -> Response:
    return _error(404, "NOT_FOUND", "The requested resource does not exist")


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_SOQL_RE = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<dir>ASC|DESC))?)?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_COND_RE = re.compile(r"^\s*(?P<field>\w+)\s*(?P<op>!=|<=|>=|=|<|>)\s*(?P<value>.+?)\s*$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a is not None and a < b,
    "<=": lambda a, b: a is not None and a <= b,
    ">": lambda a, b: a is not None and a > b,
    ">=": lambda a, b: a is not None and a >= b,
}


def parse_datetime(text: str) -> datetime:
    text = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    return datetime.fromisoformat(text).astimezone(UTC)


def _field_value(record: dict[str, Any], field: str) -> Any:
    value = record[field]
    if CONTACT_FIELDS[field][1] == "datetime" and value is not None:
        return parse_datetime(value)
    return value


def _literal(field: str, raw: str) -> Any:
    kind = CONTACT_FIELDS[field][1]
    if raw.lower() == "null":
        return None
    if kind == "datetime":
        if raw.startswith("'"):
            raise SoqlError(
                "MALFORMED_QUERY",
                f"value of filter criterion for field '{field}' must be of type dateTime and should not be enclosed in quotes",
            )
        if not _DATETIME_RE.match(raw):
            raise SoqlError("MALFORMED_QUERY", f"line 1:0 no viable alternative at character '{raw[:1]}'")
        return parse_datetime(raw)
    if kind == "boolean":
        return raw.lower() == "true"
    if not (raw.startswith("'") and raw.endswith("'")):
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: {raw}")
    return raw[1:-1].replace("\\'", "'")


def _check_field(name: str) -> str:
    for known in CONTACT_FIELDS:
        if known.lower() == name.lower():
            return known
    raise SoqlError("INVALID_FIELD", f"No such column '{name}' on entity 'Contact'.")


def run_soql(soql: str) -> list[dict[str, Any]]:
    """Every matching Contact, with only the selected fields (plus `attributes`)."""
    match = _SOQL_RE.match(soql)
    if not match:
        raise SoqlError(
            "MALFORMED_QUERY", "unexpected token: the query is not a SELECT ... FROM ... statement"
        )
    if match["object"].lower() != "contact":
        raise SoqlError("INVALID_TYPE", f"sObject type '{match['object']}' is not supported.")
    fields = [_check_field(f.strip()) for f in match["fields"].split(",")]
    rows = contacts()
    if match["where"]:
        for cond in re.split(r"\s+AND\s+", match["where"], flags=re.IGNORECASE):
            parts = _COND_RE.match(cond)
            if not parts:
                raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{cond.strip()}'")
            field = _check_field(parts["field"])
            value = _literal(field, parts["value"])
            rows = [r for r in rows if _OPS[parts["op"]](_field_value(r, field), value)]
    if match["order"]:
        field = _check_field(match["order"])
        rows.sort(
            key=lambda r: (_field_value(r, field) is None, _field_value(r, field)),
            reverse=(match["dir"] or "").upper() == "DESC",
        )
    if match["limit"]:
        rows = rows[: int(match["limit"])]
    return [
        {
            "attributes": {"type": "Contact", "url": f"/services/data/v60.0/sobjects/Contact/{r['Id']}"},
            **{f: r[f] for f in fields},
        }
        for r in rows
    ]


def _describe(version: str) -> dict[str, Any]:
    return {
        "name": "Contact",
        "label": "Contact",
        "labelPlural": "Contacts",
        "keyPrefix": "003",
        "queryable": True,
        "urls": {"describe": f"/services/data/{version}/sobjects/Contact/describe"},
        "fields": [
            {
                "name": name,
                "label": label,
                "type": kind,
                "length": length,
                "nillable": nillable,
                "updateable": updateable,
                "custom": False,
            }
            for name, (label, kind, length, nillable, updateable) in CONTACT_FIELDS.items()
        ],
    }


class SalesforceApi:
    """The request handler; holds the open query cursors."""

    def __init__(self, token: str = TOKEN, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.token = token
        self.batch_size = batch_size
        self.cursors: dict[str, tuple[list[dict[str, Any]], int]] = {}  # locator -> (rows, batch)

    def __call__(self, req: Request) -> Response:
        if req.bearer() != self.token:
            return _error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        match = re.match(r"^/services/data/(v\d+\.\d)(/.*)$", req.path)
        if not match or req.method not in ("GET", "HEAD"):
            return _not_found()
        version, rest = match.groups()
        if rest == "/query" or rest == "/query/":
            return self._query(req, version)
        if m := re.match(r"^/query/(01g\w+)-(\d+)$", rest):
            return self._page(version, m[1], int(m[2]))
        if rest == "/sobjects/Contact/describe":
            return Response(200, _describe(version))
        if m := re.match(r"^/sobjects/Contact/(\w+)$", rest):
            return self._contact(req, m[1])
        return _not_found()

    def _query(self, req: Request, version: str) -> Response:
        soql = req.param("q")
        if not soql:
            return _error(400, "MALFORMED_QUERY", "A query string has to be specified")
        try:
            rows = run_soql(soql)
        except SoqlError as exc:
            return _error(400, exc.code, str(exc))
        batch = self.batch_size
        options = req.headers.get("sforce-query-options", "")
        if m := re.search(r"batchSize=(\d+)", options):
            batch = max(1, int(m[1]))
        locator = "01g" + hashlib.sha1(f"{soql}|{batch}".encode()).hexdigest()[:15].upper()
        self.cursors[locator] = (rows, batch)
        return self._page(version, locator, 0)

    def _page(self, version: str, locator: str, offset: int) -> Response:
        if locator not in self.cursors:
            return _error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        rows, batch = self.cursors[locator]
        chunk = rows[offset : offset + batch]
        body: dict[str, Any] = {"totalSize": len(rows), "done": offset + batch >= len(rows), "records": chunk}
        if not body["done"]:
            body["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{offset + batch}"
        return Response(200, body)

    def _contact(self, req: Request, contact_id: str) -> Response:
        found = next((c for c in contacts() if c["Id"] == contact_id or c["Id"][:15] == contact_id), None)
        if found is None:
            return _not_found()
        fields = list(CONTACT_FIELDS)
        if wanted := req.param("fields"):
            try:
                fields = [_check_field(f.strip()) for f in wanted.split(",")]
            except SoqlError as exc:
                return _error(400, exc.code, str(exc))
        return Response(
            200,
            {
                "attributes": {
                    "type": "Contact",
                    "url": f"/services/data/v60.0/sobjects/Contact/{found['Id']}",
                },
                **{f: found[f] for f in fields},
            },
        )


def start_salesforce(
    port: int = 0, *, token: str = TOKEN, batch_size: int = DEFAULT_BATCH_SIZE
) -> FakeServer:
    """A started imitation of Salesforce on 127.0.0.1 (the connection's `instance_url`)."""
    return FakeServer(SalesforceApi(token, batch_size), port, name="salesforce")


if __name__ == "__main__":
    serve_forever("salesforce", lambda port: start_salesforce(port), TOKEN)
