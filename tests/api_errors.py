"""Reading the API's one error shape in tests: {"detail", "code", "field"?, "errors"?}."""


def field_errors(response) -> dict[str, list[str]]:
    """{top-level field: [messages]} of an API error answer; "" for the request as a whole.
    A nested field (`credits.2.share_pct`) counts under its top-level name (`credits`)."""
    found: dict[str, list[str]] = {}
    for error in response.json().get("errors", []):
        found.setdefault(error["field"].split(".")[0], []).append(error["message"])
    return found


def error_of(response) -> dict:
    """The error answer without its code: what the tests of a message compare."""
    body = response.json()
    assert body.pop("code"), body
    return body
