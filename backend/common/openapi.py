"""OpenAPI generation: drf-standardized-errors' AutoSchema plus what it cannot infer.

drf-standardized-errors documents the error responses DRF itself raises. The API answers a few
more, and `make fuzz` (schemathesis' status-code and response-schema checks) holds the schema
to every one of them, so they are declared here once for every view:

- 400 on paginated lists: a malformed `page_size` is refused (common.pagination).
- 400 `client_error`: besides `parse_error`, a service may refuse a well-formed request with a
  business-rule code (`invalid_token`, ...).
- 400 `validation_error`: the per-field codes drf-standardized-errors infers from the fields
  stay documented, but a service rule (`start_in_past`), a password validator or an item of a
  list field (`languages.3`) reports codes and attrs it cannot see; `OtherValidationError`
  admits those (postprocessing hook below).
- 401/403: the codes our authentication class, simplejwt and our permission errors use.
- 413 on every operation: common.middleware refuses an oversized body whatever the endpoint.
- Query parameters: an empty value means "not given" (django-filter, DRF's paginator and
  ordering all read it so), declared with `allowEmptyValue`.
- A read-only string with a format (email, URI) on a model field that may be blank can be `""`.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.utils import PolymorphicProxySerializer
from drf_standardized_errors.openapi import AutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ValidationErrorEnum
from inflection import camelize
from rest_framework import serializers

from .fields import StrictCharField
from .integration_scopes import integration_scope


class ErrorCode401Enum(models.TextChoices):
    """Why a token or its absence was refused."""

    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    # simplejwt: a malformed, expired or blacklisted token, a bad header, a vanished user
    TOKEN_NOT_VALID = "token_not_valid"
    BAD_AUTHORIZATION_HEADER = "bad_authorization_header"
    USER_NOT_FOUND = "user_not_found"
    USER_INACTIVE = "user_inactive"
    # accounts.authentication: issued before a password change or deactivation
    TOKEN_REVOKED = "token_revoked"


class ErrorCode403Enum(models.TextChoices):
    """Why an authenticated caller may not do this."""

    PERMISSION_DENIED = "permission_denied"
    DOCTOR_NOT_CONFIRMED = "doctor_not_confirmed"
    # integrations: a client token whose scopes do not reach this operation
    INSUFFICIENT_SCOPE = "insufficient_scope"


def _error_item(name: str, code_field: serializers.Field) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {
            "code": code_field,
            "detail": StrictCharField(),
            "attr": StrictCharField(allow_null=True),
        },
    )


def _error_response(name: str, kind, item: type[serializers.Serializer], doc: str):
    return type(
        name,
        (serializers.Serializer,),
        {
            "__doc__": doc,
            "type": serializers.ChoiceField(choices=kind.choices),
            "errors": item(many=True),
        },
    )


ErrorResponse401Serializer = _error_response(
    "ErrorResponse401",
    ClientErrorEnum,
    _error_item("Error401", serializers.ChoiceField(choices=ErrorCode401Enum.choices)),
    "No token, or a token that is not (or no longer) valid.",
)
ErrorResponse403Serializer = _error_response(
    "ErrorResponse403",
    ClientErrorEnum,
    _error_item("Error403", serializers.ChoiceField(choices=ErrorCode403Enum.choices)),
    "Your role or the object's state does not allow this.",
)
ErrorResponse413Serializer = _error_response(
    "ErrorResponse413",
    ClientErrorEnum,
    _error_item("Error413", serializers.ChoiceField(choices=[("request_too_large",) * 2])),
    "The request body is larger than the API accepts (MAX_REQUEST_BODY_BYTES).",
)
ClientErrorResponse400Serializer = _error_response(
    "ClientErrorResponse400",
    ClientErrorEnum,
    _error_item(
        "ClientError400",
        StrictCharField(
            help_text="`parse_error` for a body that is not JSON, `json_too_deep` for one "
            "nested deeper than the API allows, `null_characters_not_allowed` or "
            "`surrogate_characters_not_allowed` for a NUL or a lone UTF-16 surrogate in the "
            "body, the URL path or a query parameter (whose name is then `attr`), "
            "`too_many_fields` for too many query parameters; otherwise the business rule "
            "that refused the request (e.g. `invalid_token`)."
        ),
    ),
    "The request is well formed but was refused as a whole (no single field is at fault).",
)

# The catch-all item appended to every operation's validation error items (postprocessing).
OTHER_VALIDATION_ERROR = "OtherValidationError"
OTHER_VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "A field error not listed with the field: a business rule checked by the service "
        "(e.g. `start_in_past`, `wrong_password`), a password validator "
        "(`password_too_short`, ...), or an error on one item of a list field, whose `attr` "
        "is `<field>.<index>`."
    ),
    "properties": {
        "attr": {"type": "string", "nullable": True},
        "code": {"type": "string"},
        "detail": {"type": "string"},
    },
    "required": ["attr", "code", "detail"],
}


class CareSlotAutoSchema(AutoSchema):
    def _should_add_http403_error_response(self) -> bool:
        # An authenticator that refuses some valid tokens with a 403 (an integration client's
        # token on an operation its scopes do not reach: `insufficient_scope`) makes a 403
        # possible wherever it authenticates, whatever the permission classes say.
        return super()._should_add_http403_error_response() or any(
            getattr(authenticator, "may_answer_403", False)
            for authenticator in self.view.get_authenticators()
        )

    def _should_add_http429_error_response(self) -> bool:
        # A throttle that counts only integration clients' requests (`integration_clients_only`)
        # can refuse only the operations a client may call (its view's `integration_scopes`).
        throttles = self.view.get_throttles()
        if any(not getattr(throttle, "integration_clients_only", False) for throttle in throttles):
            return True
        return bool(throttles) and integration_scope(self.view, self.method) is not None

    def _paginates(self) -> bool:
        return self.method == "GET" and self._is_list_view() and bool(self._get_paginator())

    def _should_add_validation_error_response(self) -> bool:
        # Views that validate their query string with a serializer (`query_serializer`, the
        # reports) answer validation errors too, though they take no request body.
        return (
            super()._should_add_validation_error_response()
            or self._paginates()
            or getattr(self.view, "query_serializer", None) is not None
        )

    def _get_validation_error_codes_by_field(self, data_fields):
        codes = super()._get_validation_error_codes_by_field(data_fields)
        if self._paginates():
            paginator = self._get_paginator()
            codes[paginator.page_size_query_param].add("invalid")
            codes[paginator.page_query_param].update({"invalid", "out_of_range"})
        return codes

    def _get_http400_serializer(self):
        serializers_by_type = {}
        if self._should_add_validation_error_response():
            serializers_by_type[ValidationErrorEnum.VALIDATION_ERROR.value] = (
                self._get_serializer_for_validation_error_response()
            )
        if self._should_add_parse_error_response():
            # the JSON parser's `parse_error`, and the 400 a service raises (common.errors)
            serializers_by_type[ClientErrorEnum.CLIENT_ERROR.value] = (
                ClientErrorResponse400Serializer
            )
        return PolymorphicProxySerializer(
            component_name=f"{camelize(self.get_operation_id())}ErrorResponse400",
            serializers=serializers_by_type,
            resource_type_field_name="type",
        )

    def _insert_field_validators(self, field, schema) -> None:
        super()._insert_field_validators(field, schema)
        # drf-spectacular adds the "" alternative for fields with allow_blank; a read-only model
        # field has lost that flag, yet it reads back whatever blank value the model holds.
        if (
            schema.get("type") == "string"
            and schema.get("format") in ("email", "uri")
            and not getattr(field, "allow_blank", False)
            and _model_field_may_be_blank(field)
        ):
            outer_keys = {"readOnly", "writeOnly", "nullable", "description", "title"}
            inner = {key: schema.pop(key) for key in list(schema) if key not in outer_keys}
            schema["oneOf"] = [inner, {"type": "string", "maxLength": 0}]


def _model_field_may_be_blank(field: serializers.Field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return False
    return isinstance(model_field, models.CharField) and model_field.blank


def postprocess_error_schemas(result: dict, generator, request, public) -> dict:
    """Admit the validation errors and empty query values described in the module docstring."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    item_names = set()
    for name, schema in schemas.items():
        if name.endswith("ValidationError") and "errors" in schema.get("properties", {}):
            ref = schema["properties"]["errors"].get("items", {}).get("$ref", "")
            item_names.add(ref.rsplit("/", 1)[-1])
    other = {"$ref": f"#/components/schemas/{OTHER_VALIDATION_ERROR}"}
    for name in item_names:
        items = schemas.get(name)
        if items and "oneOf" in items:
            # oneOf + discriminator would reject an error matching both a listed field's
            # component and the catch-all; anyOf lists the same alternatives without that.
            items.pop("discriminator", None)
            items["anyOf"] = [*items.pop("oneOf"), other]
    if item_names:
        schemas[OTHER_VALIDATION_ERROR] = OTHER_VALIDATION_ERROR_SCHEMA

    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
