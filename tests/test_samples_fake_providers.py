"""The provider imitations the samples are recorded against behave like the real APIs."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.fake_providers import github, linear, salesforce
from tests.fake_providers.github import start_github
from tests.fake_providers.linear import start_linear
from tests.fake_providers.salesforce import start_salesforce

SF = {"Authorization": f"Bearer {salesforce.TOKEN}"}
GH = {"Authorization": f"Bearer {github.TOKEN}"}
LN = {"Authorization": linear.TOKEN}
QUERY = "/services/data/v60.0/query"


@pytest.fixture(scope="module")
def sf():
    with start_salesforce() as server:
        yield server


@pytest.fixture
def gh():
    with start_github() as server:
        yield server


@pytest.fixture(scope="module")
def ln():
    with start_linear() as server:
        yield server


# -- Salesforce -----------------------------------------------------------------------------------


def test_salesforce_query_follows_next_records_url_to_every_contact(sf):
    soql = "SELECT Id, LastName, LastModifiedDate FROM Contact ORDER BY LastModifiedDate ASC"
    page = httpx.get(sf.url + QUERY, params={"q": soql}, headers=SF).json()
    ids, pages = [], 0
    while True:
        pages += 1
        assert set(page["records"][0]) == {"attributes", "Id", "LastName", "LastModifiedDate"}
        ids += [r["Id"] for r in page["records"]]
        if page["done"]:
            assert "nextRecordsUrl" not in page
            break
        assert page["nextRecordsUrl"].startswith("/services/data/v60.0/query/01g")
        page = httpx.get(sf.url + page["nextRecordsUrl"], headers=SF).json()
    assert pages == 3 and page["totalSize"] == 24
    assert ids == [c["Id"] for c in salesforce.contacts()]  # data is in LastModifiedDate order
    assert len(set(ids)) == 24


def test_salesforce_where_last_modified_date_filters(sf):
    soql = "SELECT Id, LastModifiedDate FROM Contact WHERE LastModifiedDate > 2024-03-01T06:00:00Z"
    body = httpx.get(sf.url + QUERY, params={"q": soql}, headers=SF).json()
    dates = [r["LastModifiedDate"] for r in body["records"]]
    assert body["totalSize"] == 8 and min(dates) == "2024-03-04T10:30:00.000+0000"
    soql = "SELECT Id FROM Contact WHERE LastModifiedDate >= 2024-03-01T06:00:00.000+0000 AND LastModifiedDate < 2024-03-05T00:00:00Z"
    assert httpx.get(sf.url + QUERY, params={"q": soql}, headers=SF).json()["totalSize"] == 2


def test_salesforce_batch_size_header_and_limit(sf):
    soql = "SELECT Id FROM Contact ORDER BY LastModifiedDate DESC LIMIT 5"
    body = httpx.get(
        sf.url + QUERY, params={"q": soql}, headers={**SF, "Sforce-Query-Options": "batchSize=2"}
    ).json()
    assert body["totalSize"] == 5 and len(body["records"]) == 2
    assert body["records"][0]["Id"] == salesforce.contacts()[-1]["Id"]


@pytest.mark.parametrize(
    "soql, code",
    [
        ("SELECT Id FROM Contact WHERE LastModifiedDate > '2024-01-01'", "MALFORMED_QUERY"),
        ("SELECT Id, Nope FROM Contact", "INVALID_FIELD"),
        ("SELECT Id FROM Lead", "INVALID_TYPE"),
        ("DELETE Contact", "MALFORMED_QUERY"),
    ],
)
def test_salesforce_bad_queries_answer_its_error_shape(sf, soql, code):
    response = httpx.get(sf.url + QUERY, params={"q": soql}, headers=SF)
    assert response.status_code == 400
    [error] = response.json()
    assert error["errorCode"] == code and error["message"]


def test_salesforce_contact_by_id_describe_and_404(sf):
    first = salesforce.contacts()[0]
    body = httpx.get(f"{sf.url}/services/data/v60.0/sobjects/Contact/{first['Id']}", headers=SF).json()
    assert body["LastName"] == "Lovelace" and body["attributes"]["type"] == "Contact"
    describe = httpx.get(f"{sf.url}/services/data/v60.0/sobjects/Contact/describe", headers=SF).json()
    assert {f["name"] for f in describe["fields"]} == set(salesforce.CONTACT_FIELDS)
    missing = httpx.get(f"{sf.url}/services/data/v60.0/sobjects/Contact/003000000000000AAA", headers=SF)
    assert missing.status_code == 404
    assert missing.json() == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]


def test_salesforce_checks_the_bearer_token(sf):
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = httpx.get(sf.url + QUERY, params={"q": "SELECT Id FROM Contact"}, headers=headers)
        assert response.status_code == 401
        assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


# -- GitHub ---------------------------------------------------------------------------------------


def _links(response: httpx.Response) -> dict[str, str]:
    return {link["rel"]: link["url"] for link in response.links.values()}


def test_github_link_header_pagination_covers_every_issue_once(gh):
    url, numbers = f"{gh.url}/repos/acme/widgets/issues?state=all&per_page=10", []
    while url:
        response = httpx.get(url, headers=GH)
        assert response.status_code == 200
        numbers += [i["number"] for i in response.json()]
        url = _links(response).get("next")
    assert sorted(numbers) == list(range(1, 27)) and len(numbers) == 26
    assert numbers[0] == 26  # newest first, as GitHub sorts by default
    last_page = httpx.get(f"{gh.url}/repos/acme/widgets/issues?state=all&per_page=10&page=3", headers=GH)
    assert set(_links(last_page)) == {"prev", "first"}


def test_github_since_state_and_defaults(gh):
    everything = httpx.get(
        f"{gh.url}/repos/acme/widgets/issues", params={"state": "all", "per_page": 100}, headers=GH
    ).json()
    assert len(everything) == 26 and sum("pull_request" in i for i in everything) == 3
    default = httpx.get(f"{gh.url}/repos/acme/widgets/issues", headers=GH)
    assert all(i["state"] == "open" for i in default.json()) and len(default.json()) == 20
    assert "link" not in default.headers  # 20 open issues fit in the default 30 per page
    since = httpx.get(
        f"{gh.url}/repos/acme/widgets/issues",
        params={"state": "all", "since": "2024-03-20T15:00:00Z", "per_page": 100},
        headers=GH,
    ).json()
    assert sorted(i["number"] for i in since) == [13, 17, 22, 24, 25, 26]
    bad = httpx.get(f"{gh.url}/repos/acme/widgets/issues", params={"since": "yesterday"}, headers=GH)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "since"


def test_github_create_issue_returns_201_and_lists_it(gh):
    response = httpx.post(
        f"{gh.url}/repos/acme/widgets/issues",
        json={"title": "New bug", "body": "Steps", "labels": ["bug"]},
        headers=GH,
    )
    assert response.status_code == 201
    created = response.json()
    assert created["number"] == 27 and created["state"] == "open" and created["labels"][0]["name"] == "bug"
    assert response.headers["location"] == created["url"]
    listed = httpx.get(f"{gh.url}/repos/acme/widgets/issues/27", headers=GH).json()
    assert listed["title"] == "New bug"
    invalid = httpx.post(f"{gh.url}/repos/acme/widgets/issues", json={"body": "no title"}, headers=GH)
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [{"resource": "Issue", "code": "missing_field", "field": "title"}]


def test_github_errors_auth_and_unknown_repo(gh):
    assert httpx.get(f"{gh.url}/repos/acme/widgets/issues").json()["message"] == "Requires authentication"
    wrong = httpx.get(f"{gh.url}/repos/acme/widgets/issues", headers={"Authorization": "token nope"})
    assert wrong.status_code == 401 and wrong.json()["message"] == "Bad credentials"
    other = httpx.get(f"{gh.url}/repos/acme/other/issues", headers=GH)
    assert other.status_code == 404 and other.json()["message"] == "Not Found"


# -- Linear ---------------------------------------------------------------------------------------

ISSUES_QUERY = """
query Issues($after: String, $since: DateTime) {
  issues(first: 10, after: $after, orderBy: updatedAt, filter: { updatedAt: { gt: $since } }) {
    nodes { id identifier title estimate assignee { name } team { key } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _linear_pages(ln, since=None):
    after, pages = None, []
    while True:
        response = httpx.post(
            f"{ln.url}/graphql",
            json={"query": ISSUES_QUERY, "variables": {"after": after, "since": since}},
            headers=LN,
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]["issues"]
        pages.append(data["nodes"])
        if not data["pageInfo"]["hasNextPage"]:
            return pages
        after = data["pageInfo"]["endCursor"]


def test_linear_cursor_pagination_in_the_body(ln):
    pages = _linear_pages(ln)
    assert [len(p) for p in pages] == [10, 10, 4]
    ids = [i["id"] for p in pages for i in p]
    assert len(set(ids)) == 24 == len(linear.issues())
    assert set(pages[0][0]) == {"id", "identifier", "title", "estimate", "assignee", "team"}
    assert any(i["assignee"] is None for p in pages for i in p)


def test_linear_filter_on_updated_at(ln):
    pages = _linear_pages(ln, since="2024-03-20T00:00:00Z")
    titles = [i["title"] for p in pages for i in p]
    assert titles == [
        "Retry failed invoice syncs",
        "Timezone bug in reports",
        "Pricing page layout",
        "CSV export times out",
        "Webhook signature check",
        "Usage metrics endpoint",
    ]


def test_linear_errors(ln):
    def post(query, headers=LN):
        return httpx.post(f"{ln.url}/graphql", json={"query": query}, headers=headers)

    unknown = post("{ issues { nodes { nope } } }")
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["message"] == 'Cannot query field "nope" on type "Issue".'
    assert unknown.json()["errors"][0]["locations"] == [{"line": 1, "column": 20}]
    missing = post('{ issue(id: "ENG-999") { id } }')
    assert missing.json() == {"data": None, "errors": [missing.json()["errors"][0]]}
    assert missing.json()["errors"][0]["message"] == "Entity not found: Issue"
    found = post('{ issue(id: "ENG-2") { identifier state { name } } }').json()
    assert found == {"data": {"issue": {"identifier": "ENG-2", "state": {"name": "In Progress"}}}}
    syntax = post("{ issues { nodes { id }")
    assert syntax.status_code == 400 and syntax.json()["errors"][0]["message"].startswith("Syntax Error")
    auth = post("{ viewer { id } }", headers={"Authorization": "Bearer wrong"})
    assert auth.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"
    assert post("{ viewer { id } }", headers={"Authorization": f"Bearer {linear.TOKEN}"}).status_code == 200


def test_runner_serves_from_the_command_line(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_providers.github", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(__import__("pathlib").Path(__file__).parent.parent),
    )
    try:
        line = proc.stdout.readline()
        url = line.split(" on ")[1].split()[0]
        assert httpx.get(f"{url}/repos/acme/widgets/issues", headers=GH).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=5)
