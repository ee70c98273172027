"""The one assertion every error response in the suite goes through (docs/api-guide.md)."""

ERROR_TYPES = {"validation_error", "client_error", "server_error"}


def assert_error_shape(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    assert body["type"] in ERROR_TYPES, body
    assert isinstance(body["errors"], list), body
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}, error
        assert isinstance(error["code"], str), error
        assert error["code"], error
        assert isinstance(error["detail"], str), error
        assert error["detail"], error
        assert error["attr"] is None or isinstance(error["attr"], str), error
    return body


def assert_error(response, status: int, code: str, attr: str | None = None) -> dict:
    """The response is an error with this status, carrying `code` (on `attr`, if given)."""
    assert response.status_code == status, (response.status_code, response.content)
    body = assert_error_shape(response)
    found = [(e["code"], e["attr"]) for e in body["errors"]]
    assert (code, attr) in found if attr is not None else code in [c for c, _ in found], found
    return body
