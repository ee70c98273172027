"""The OpenAPI contract as front-end teams consume it (issue 20), added after generation.

A postprocessing hook (after common.openapi's) gives every operation

- an operationId that reads as the verb phrase a generated client calls (`bookAppointment`,
  `listAppointments`): drf-spectacular's `appointments_create` names the route, not the act;
- a description (views without a docstring get theirs here),
- examples for every request body and every 2xx/4xx response, generated from the schema itself
  (so they are valid against it by construction) with realistic values picked by field name and
  the `detail` of the error code from common.error_catalogue,
- enumerated error codes: the catch-all error items (`ClientError400`, `OtherValidationError`)
  list every 400 code the code base can answer (common.error_catalogue),

and the document the top-level tags, servers, contact and license. `make schema` writes it;
`.spectral.yaml` (`make contract-lint`) holds it to all of the above.
"""

import re
from copy import deepcopy

from .error_catalogue import codes_with_status, error_codes
from .integration_scopes import integration_scope
from .throttling import ClientScopedRateThrottle

OPERATION_IDS = {
    "admin_actions_list": "listAdminActions",
    "appointments_list": "listAppointments",
    "appointments_create": "bookAppointment",
    "appointments_retrieve": "getAppointment",
    "appointments_cancel_create": "cancelAppointment",
    "appointments_complete_create": "completeAppointment",
    "appointments_no_show_create": "markAppointmentNoShow",
    "appointments_payment_retrieve": "getAppointmentPayment",
    "appointments_payment_create": "recordAppointmentPayment",
    "appointments_reschedule_create": "rescheduleAppointment",
    "appointments_reschedule_proposal_create": "proposeAppointmentReschedule",
    "appointments_reschedule_proposal_accept_create": "acceptAppointmentReschedule",
    "appointments_reschedule_proposal_decline_create": "declineAppointmentReschedule",
    "auth_email_confirm_create": "confirmEmail",
    "auth_email_resend_create": "resendConfirmationEmail",
    "auth_login_create": "logIn",
    "auth_login_mfa_create": "completeMfaLogin",
    "auth_mfa_totp_create": "createTotpDevice",
    "auth_mfa_totp_confirm_create": "confirmTotpDevice",
    "auth_logout_create": "logOut",
    "auth_me_retrieve": "getMyAccount",
    "auth_me_partial_update": "updateMyAccount",
    "auth_password_change_create": "changePassword",
    "auth_password_reset_create": "requestPasswordReset",
    "auth_password_reset_confirm_create": "confirmPasswordReset",
    "auth_register_doctor_create": "registerDoctor",
    "auth_register_patient_create": "registerPatient",
    "auth_token_refresh_create": "refreshTokens",
    "calendar_feeds_list": "listCalendarFeeds",
    "calendar_feeds_create": "createCalendarFeed",
    "calendar_feeds_destroy": "revokeCalendarFeed",
    "calendar_feeds_rotate_create": "rotateCalendarFeed",
    "calendar_feed_ics": "getCalendarFeedIcs",
    "clinics_list": "listClinics",
    "clinics_create": "createClinic",
    "clinics_retrieve": "getClinic",
    "clinics_partial_update": "updateClinic",
    "clinics_destroy": "deactivateClinic",
    "clinics_activate_create": "activateClinic",
    "clinics_admins_list": "listClinicAdmins",
    "clinics_admins_create": "addClinicAdmin",
    "clinics_admins_destroy": "removeClinicAdmin",
    "doctor_clinic_associations_list": "listDoctorClinicAssociations",
    "doctor_clinic_associations_create": "createDoctorClinicAssociation",
    "doctor_clinic_associations_retrieve": "getDoctorClinicAssociation",
    "doctor_clinic_associations_accept_create": "acceptClinicInvitation",
    "doctor_clinic_associations_decline_create": "declineClinicInvitation",
    "doctor_clinic_associations_end_create": "endDoctorClinicAssociation",
    "doctors_list": "listDoctors",
    "doctors_retrieve": "getDoctor",
    "doctors_partial_update": "updateDoctor",
    "doctors_confirm_create": "confirmDoctor",
    "doctors_reject_create": "rejectDoctor",
    "doctors_me_retrieve": "getMyDoctorProfile",
    "doctors_me_partial_update": "updateMyDoctorProfile",
    "failed_tasks_list": "listFailedTasks",
    "failed_tasks_requeue_create": "requeueFailedTask",
    "history_mine_list": "listMyHistory",
    "patients_list": "listPatients",
    "dependents_list": "listDependents",
    "dependents_create": "addDependent",
    "dependents_retrieve": "getDependent",
    "dependents_partial_update": "updateDependent",
    "dependents_claim_invitation_create": "requestDependentClaimInvitation",
    "dependents_claim_create": "confirmDependentClaim",
    "proxy_grants_list": "listProxyGrants",
    "proxy_grants_create": "grantProxyAccess",
    "proxy_grants_retrieve": "getProxyGrant",
    "proxy_grants_revoke_create": "revokeProxyGrant",
    "proxy_grants_accept_create": "acceptProxyInvitation",
    "patients_access_log_list": "listPatientAccessLog",
    "patients_break_glass_create": "openBreakGlassAccess",
    "patients_history_list": "listPatientHistory",
    "patients_history_create": "createPatientHistoryEntry",
    "patients_history_retrieve": "getPatientHistoryEntry",
    "patients_history_amend_create": "amendPatientHistoryEntry",
    "patients_retrieve": "getPatient",
    "patients_partial_update": "updatePatient",
    "patients_me_retrieve": "getMyPatientProfile",
    "patients_me_partial_update": "updateMyPatientProfile",
    "payments_webhook_create": "receivePaymentWebhook",
    "points_list": "listPoints",
    "points_adjustments_create": "adjustPoints",
    "points_balance_retrieve": "getPointsBalance",
    "reports_bookings_retrieve": "getBookingsReport",
    "reports_doctors_retrieve": "getDoctorsReport",
    "reports_me_retrieve": "getMyReport",
    "reports_revenue_retrieve": "getRevenueReport",
    "reports_user_activity_retrieve": "getUserActivityReport",
    "reviews_list": "listReviews",
    "reviews_create": "createReview",
    "reviews_retrieve": "getReview",
    "reviews_partial_update": "updateReview",
    "reviews_destroy": "deleteReview",
    "reviews_hide_create": "hideReview",
    "reviews_unhide_create": "unhideReview",
    "reviews_mine_list": "listMyReviews",
    "slots_list": "listSlots",
    "slots_create": "createSlot",
    "slots_retrieve": "getSlot",
    "slots_partial_update": "updateSlot",
    "slots_destroy": "deleteSlot",
    "slots_block_create": "blockSlot",
    "slots_hold_create": "holdSlot",
    "slots_hold_destroy": "releaseSlotHold",
    "slots_unblock_create": "unblockSlot",
    "slots_available_list": "searchAvailableSlots",
    "slots_bulk_create": "createSlotsFromTemplate",
    "slots_holds_list": "listMySlotHolds",
    "visit_types_list": "listVisitTypes",
    "visit_types_create": "createVisitType",
    "visit_types_retrieve": "getVisitType",
    "visit_types_partial_update": "updateVisitType",
    "visit_types_destroy": "deactivateVisitType",
    "specialties_list": "listSpecialties",
    "specialties_create": "createSpecialty",
    "specialties_retrieve": "getSpecialty",
    "specialties_partial_update": "updateSpecialty",
    "specialties_destroy": "deleteSpecialty",
    "users_list": "listUsers",
    "users_retrieve": "getUser",
    "users_activate_create": "activateUser",
    "users_deactivate_create": "deactivateUser",
    "users_mfa_reset_create": "revokeUserSecondFactor",
    "users_roles_list": "listUserRoles",
    "users_roles_create": "grantUserRole",
    "users_roles_destroy": "revokeUserRole",
    "waitlist_list": "listWaitlistEntries",
    "waitlist_create": "joinWaitlist",
    "waitlist_retrieve": "getWaitlistEntry",
    "waitlist_destroy": "leaveWaitlist",
    "waitlist_lengths_list": "listWaitlistLengths",
    "integration_clients_list": "listIntegrationClients",
    "integration_clients_create": "createIntegrationClient",
    "integration_clients_retrieve": "getIntegrationClient",
    "integration_clients_destroy": "revokeIntegrationClient",
    "integration_clients_rotate_create": "rotateIntegrationClient",
    "oauth_token_create": "getClientCredentialsToken",
    "webhook_endpoints_list": "listWebhookEndpoints",
    "webhook_endpoints_create": "createWebhookEndpoint",
    "webhook_endpoints_retrieve": "getWebhookEndpoint",
    "webhook_endpoints_partial_update": "updateWebhookEndpoint",
    "webhook_endpoints_destroy": "deleteWebhookEndpoint",
    "webhook_endpoints_deliveries_list": "listWebhookDeliveries",
    "webhook_endpoints_deliveries_redeliver_create": "redeliverWebhookDelivery",
    "webhook_endpoints_rotate_secret_create": "rotateWebhookSecret",
    "healthz_retrieve": "getHealth",
    "readyz_retrieve": "getReadiness",
}

# Where a view has no docstring of its own. Keys are the new operationIds.
DESCRIPTIONS = {
    "getVisitType": "One active visit type of a confirmed doctor or an active clinic (or the "
    "caller's own); a retired one is a 404.",
    "getAppointment": "One appointment the caller may see: the patient's own, the doctor's, "
    "the clinic's for its admins, any for platform admins. Others are a 404.",
    "completeAppointment": "The appointment's doctor records that the visit took place, once it "
    "has started (409 `appointment_not_started` before). The patient earns loyalty points, may "
    "review the doctor, and the doctor may write history entries for the patient.",
    "markAppointmentNoShow": "The appointment's doctor records that the patient did not come, "
    "once the appointment has started (409 `appointment_not_started` before).",
    "declineAppointmentReschedule": "The patient declines, or the doctor withdraws, the pending "
    "proposal of a new time; the appointment keeps its slot. Without a pending proposal: 409 "
    "`no_pending_proposal`.",
    "getMyAccount": "The caller's account: email, names, phone, roles and whether the email is "
    "confirmed.",
    "updateMyAccount": "Change the caller's names or phone. The email and the password have "
    "their own flows (confirmation, `POST /auth/password/change/`).",
    "createClinic": "A new clinic, active at once. `timezone` is an IANA name: slots, templates "
    "and local times of the clinic are read in it.",
    "getClinic": "One clinic. Patients and doctors see active clinics only; a deactivated one "
    "is a 404 to them.",
    "updateClinic": "Change a clinic's profile. Changing `timezone` does not move existing "
    "slots (they are stored in UTC); their local times render in the new zone.",
    "activateClinic": "Make a deactivated clinic visible and bookable again.",
    "listClinicAdmins": "The users who administer this clinic.",
    "removeClinicAdmin": "The user stops administering this clinic; the clinic_admin role goes "
    "when they administer no other clinic.",
    "createDoctorClinicAssociation": "The doctor starts working at the clinic and may publish "
    "slots there. One active association per doctor and clinic (`association_exists`).",
    "getDoctorClinicAssociation": "One association the caller may see.",
    "getDoctor": "One doctor of the directory: specialty, languages, fee, rating and clinics. "
    "Unconfirmed or inactive doctors are a 404 except to platform admins.",
    "updateDoctor": "Change a doctor's profile (bio, languages, fee, specialty).",
    "getMyDoctorProfile": "The calling doctor's profile, confirmed or not.",
    "updateMyDoctorProfile": "Change the calling doctor's profile. The fee applies to bookings "
    "made from now on; booked appointments keep the fee they were booked at.",
    "getPatient": "A patient profile: the patient's own and their dependents', a treating "
    "doctor's patients, any for platform admins. Others are a 404.",
    "getDependent": "One of the caller's dependents; anyone else's is a 404.",
    "getProxyGrant": "One proxy grant the caller gave or holds; anyone else's is a 404.",
    "updatePatient": "The patient changes their own profile.",
    "getMyPatientProfile": "The calling patient's profile.",
    "updateMyPatientProfile": "Change the calling patient's profile (phone, address, emergency "
    "contact, ...).",
    "getPointsBalance": "The calling patient's loyalty points: the sum of their ledger, never "
    "negative, and how many points a free booking costs.",
    "getReview": "One visible review (hidden ones only for platform admins and their author).",
    "unhideReview": "Show a hidden review again; it counts in the doctor's rating again.",
    "getSlot": "One slot the caller manages or may see.",
    "updateSlot": "Move the calling doctor's slot to another start and end. A booked slot "
    "cannot be moved (409 `slot_booked`): cancel or reschedule the appointment instead.",
    "deleteSlot": "Remove the calling doctor's slot. A booked slot cannot be removed (409 "
    "`slot_booked`).",
    "blockSlot": "Keep the slot but take it out of search and booking.",
    "unblockSlot": "Make a blocked slot bookable again.",
    "createSpecialty": "A new specialty doctors can choose.",
    "getSpecialty": "One specialty.",
    "updateSpecialty": "Rename a specialty.",
    "deleteSpecialty": "Delete a specialty no doctor is listed under (409 `specialty_in_use` "
    "otherwise).",
    "listUsers": "Every account, filterable by role and active flag and searchable by name and "
    "email.",
    "getUser": "One account with its roles.",
    "activateUser": "Let a deactivated user log in again (logged in the admin action log).",
    "listUserRoles": "The roles a user holds.",
    "getWaitlistEntry": "One of the calling patient's waitlist entries and its state.",
    "listWebhookEndpoints": "The webhook endpoints of the clinics the caller administers (all "
    "for platform admins), without their secrets.",
    "getWebhookEndpoint": "One webhook endpoint, without its secret.",
    "getIntegrationClient": "One integration client, without its secret: its scopes, "
    "expiry, revocation, and when and from where it was last used.",
    "deleteWebhookEndpoint": "Stop delivering to this endpoint and delete its delivery log.",
}

TAGS = {
    "auth": "Registration, email confirmation, login, token refresh and logout, passwords.",
    "doctors": "The doctor directory, specialties, doctors' own profiles and their vetting.",
    "clinics": "Clinics, their admins and the doctors working at them.",
    "patients": "Patient profiles.",
    "dependents": "People without an account a patient acts for: children, relatives in care.",
    "proxy grants": "Another patient account acting for a patient, by scope, until it expires.",
    "slots": "Doctors' time slots: publishing, templates, search and holds.",
    "visit-types": "What patients book: a doctor's or a clinic's visit types, each with its "
    "length, buffers, price, modality and booking rules.",
    "appointments": "Booking, cancelling, rescheduling and the outcome of a visit; payments.",
    "waitlist": "Waiting for a doctor's slot to free up.",
    "points": "The loyalty points ledger and balance.",
    "reviews": "Patients' reviews of completed appointments and their moderation.",
    "records": "Medical history entries and who accessed them.",
    "calendar feeds": "Private iCalendar feeds of a user's appointments.",
    "reports": "Aggregate figures for doctors, clinic admins and platform admins (JSON or CSV).",
    "webhooks": "Clinics' webhook endpoints and their deliveries.",
    "integrations": "Clinics' integration clients (OAuth 2.0 client credentials for machines) "
    "and the token endpoint (docs/integrations.md).",
    "payments": "The payment provider's webhook.",
    "admin": "Platform administration: users, roles, the admin action log, failed tasks.",
    "health": "Liveness and the background task queue's lag.",
}

METHODS = ("get", "put", "post", "patch", "delete")

# Example values by property name, used when they fit the property's schema.
NAMED_VALUES = {
    "email": "pia.schulz@example.com",
    "password": "Correct-horse-2026",
    "new_password": "Battery-staple-2027",
    "current_password": "Correct-horse-2026",
    "first_name": "Pia",
    "last_name": "Schulz",
    "name": "Mitte Health",
    "slug": "mitte-health",
    "phone": "+49 30 1234567",
    "emergency_contact_phone": "+49 30 7654321",
    "emergency_contact_name": "Jonas Schulz",
    "address": "Invalidenstr. 10, 10115 Berlin",
    "city": "Berlin",
    "country": "DE",
    "timezone": "Europe/Berlin",
    "tz": "Europe/Berlin",
    "currency": "EUR",
    "language": "en",
    "license_number": "DE-GP-0001",
    "bio": "General practitioner with ten years in family medicine.",
    "title": "General practitioner",
    "reason": "I have to travel that week.",
    "notes": "Recurring back pain.",
    "comment": "Listened carefully and explained everything.",
    "details": "Blood pressure 120/80, no findings.",
    "description": "Front desk integration",
    "icd10_code": "J45.909",
    "medication": "Salbutamol",
    "dosage": "100 µg",
    "frequency": "Twice a day",
    "duration": "14 days",
    "instructions": "Inhale one puff when short of breath.",
    "reference": "pay_2027_000123",
    "url": "https://clinic.example.com/careslot/webhooks",
    "token": "MTIz:1tJ3Xq:bfX0Kc3mQ1w4s5Y2aW6nH0ldT-8sV9xY7oPq1rZ3u4E",
    "access": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.sig",
    "refresh": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.sig",
    "uid": "MTIz",
    "start": "2027-03-01T08:00:00Z",
    "end": "2027-03-01T08:30:00Z",
    "start_local": "2027-03-01T09:00:00+01:00",
    "end_local": "2027-03-01T09:30:00+01:00",
    "date_from": "2027-03-01",
    "date_to": "2027-03-31",
    "start_time": "09:00:00",
    "end_time": "12:00:00",
    "time_from": "09:00:00",
    "time_to": "12:00:00",
    "date_of_birth": "1990-05-17",
    "started_on": "2026-01-01",
    "consultation_fee": "60.00",
    "transaction_fee": "2.30",
    "total_amount": "62.30",
    "amount": "62.30",
    "rating": 5,
    "slot_minutes": 30,
    "page": 1,
    "page_size": 20,
    "count": 1,
}
FORMAT_VALUES = {
    "date-time": "2027-03-01T08:00:00Z",
    "date": "2027-03-01",
    "time": "09:00:00",
    "email": "pia.schulz@example.com",
    "uri": "https://api.careslot.example/api/v1/",
    "uuid": "3f2b8c1e-7a4d-4e9b-9c51-2d6f0a8b1c3e",
    "decimal": "60.00",
    "binary": "",
}
TEXT_EXAMPLES = {
    "text/csv": "period,status,count\n2027-03-01,completed,12\n",
    "text/calendar": (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//CareSlot//EN\r\nEND:VCALENDAR\r\n"
    ),
}


class ExampleError(Exception):
    pass


class Examples:
    """Builds a value valid against an OpenAPI 3.0 schema of this document."""

    def __init__(self, document: dict):
        self.schemas = document.get("components", {}).get("schemas", {})
        self.details = {code: info.detail for code, info in error_codes().items()}

    def resolve(self, schema: dict) -> dict:
        seen = 0
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
            seen += 1
            if seen > 20:
                raise ExampleError("reference loop")
        return schema

    def value(self, schema: dict, name: str = "", depth: int = 0, request: bool = False):
        schema = self.resolve(schema)
        if depth > 12:
            raise ExampleError("schema too deep for an example")
        if "example" in schema:
            return deepcopy(schema["example"])
        if "enum" in schema:
            choices = [choice for choice in schema["enum"] if choice not in (None, "")]
            return (choices or schema["enum"])[0]
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.value(schema[key][0], name, depth + 1, request)
        if "allOf" in schema:
            merged: dict = {}
            for part in schema["allOf"]:
                part = self.resolve(part)
                for key, item in part.items():
                    if key in ("properties",):
                        merged.setdefault(key, {}).update(item)
                    elif key == "required":
                        merged.setdefault(key, []).extend(item)
                    else:
                        merged.setdefault(key, item)
            return self.value(merged, name, depth + 1, request)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return self.object(schema, depth, request)
        if kind == "array":
            item = self.value(schema.get("items", {}), _singular(name), depth + 1, request)
            return [item] * max(1, min(schema.get("minItems", 1), 1))
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        if kind == "boolean":
            return False
        if kind in ("integer", "number"):
            return self.number(schema, name)
        if kind == "string":
            return self.string(schema, name)
        if schema.get("nullable"):
            return None
        return {}

    def object(self, schema: dict, depth: int, request: bool) -> dict:
        properties = schema.get("properties", {})
        out = {}
        for key, prop in properties.items():
            resolved = self.resolve(prop)
            if resolved.get("readOnly" if request else "writeOnly") or prop.get(
                "readOnly" if request else "writeOnly"
            ):
                continue
            out[key] = self.value(prop, key, depth + 1, request)
        if {"code", "detail", "attr"} <= out.keys() and isinstance(out["code"], str):
            attr = self.resolve(properties["attr"])
            if attr.get("nullable") and "enum" not in attr:
                out["attr"] = None  # an error of the request as a whole
            out["detail"] = self.details.get(out["code"]) or out["detail"]
            if "…" in out["detail"] or "{" in out["detail"] or "%(" in out["detail"]:
                out["detail"] = "See the error code table in docs/api-guide.md."
        return out

    def number(self, schema: dict, name: str):
        value = NAMED_VALUES.get(name, 1)
        if not isinstance(value, int):
            value = 1
        if "minimum" in schema:
            value = max(value, schema["minimum"])
        if "maximum" in schema:
            value = min(value, schema["maximum"])
        return int(value) if schema.get("type") == "integer" else float(value)

    def string(self, schema: dict, name: str) -> str:
        candidates = [
            NAMED_VALUES.get(name),
            FORMAT_VALUES.get(schema.get("format", "")),
            _decimal_for(schema.get("pattern", "")),
            "Example",
        ]
        for candidate in candidates:
            if isinstance(candidate, str) and _fits(candidate, schema):
                return candidate
        length = max(schema.get("minLength", 1), 1)
        candidate = "x" * length
        if _fits(candidate, schema):
            return candidate
        raise ExampleError(f"no example fits {name or 'a string'}: {schema}")

    def media(self, media_type: str, media: dict, request: bool):
        schema = media.get("schema", {})
        if media_type in TEXT_EXAMPLES and self.resolve(schema).get("type") == "string":
            return TEXT_EXAMPLES[media_type]
        return self.value(schema, request=request)


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name


def _decimal_for(pattern: str) -> str | None:
    if pattern and "\\d" in pattern:
        for candidate in ("60.00", "60", "1"):
            if re.search(pattern, candidate):
                return candidate
    return None


def _fits(value: str, schema: dict) -> bool:
    if len(value) < schema.get("minLength", 0):
        return False
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return False
    return "pattern" not in schema or bool(re.search(schema["pattern"], value))


def _operations(result: dict):
    for path, item in result.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def postprocess_contract(result: dict, generator, request, public) -> dict:
    """See the module docstring."""
    operations = list(_operations(result))
    for path, method, operation in operations:
        old = operation["operationId"]
        if old not in OPERATION_IDS:
            raise ExampleError(
                f"{method.upper()} {path}: name operation {old!r} in "
                "common.openapi_contract.OPERATION_IDS (a verb phrase: listX, getX, bookX...)"
            )
        operation["operationId"] = OPERATION_IDS[old]
        if not operation.get("description"):
            operation["description"] = DESCRIPTIONS.get(operation["operationId"], "")
        if not operation["description"]:
            raise ExampleError(f"{method.upper()} {path}: describe it (docstring or DESCRIPTIONS)")

    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    client_codes = codes_with_status(400)
    for name in ("ClientError400", "OtherValidationError"):
        if name in schemas:
            code = schemas[name]["properties"]["code"]
            code["enum"] = client_codes
            code["type"] = "string"

    for schema in schemas.values():
        for prop in schema.get("properties", {}).values():
            _null_or_reference(prop)

    examples = Examples(result)
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        body = operation.get("requestBody", {}).get("content", {})
        for media_type, media in body.items():
            _drop_invalid_error_examples(media, examples)
            _add_example(media, examples.media(media_type, media, request=True), where)
        for status, response in operation.get("responses", {}).items():
            if status[0] not in "24":
                continue
            for media_type, media in response.get("content", {}).items():
                _drop_invalid_error_examples(media, examples)
                _add_example(media, examples.media(media_type, media, request=False), where)

    throttled = _throttled_operations(generator)
    if throttled:
        result["components"]["headers"] = RATE_LIMIT_HEADERS
    for path, method, operation in operations:
        if (path, method) not in throttled:
            continue
        for status, response in operation.get("responses", {}).items():
            headers = response.setdefault("headers", {})
            for name in RATE_LIMIT_HEADERS:
                if name != "Retry-After" or status == "429":
                    headers[name] = {"$ref": f"#/components/headers/{name}"}

    used = {tag for _, _, operation in operations for tag in operation.get("tags", [])}
    unknown = used - TAGS.keys()
    if unknown:
        raise ExampleError(f"describe the tags {sorted(unknown)} in common.openapi_contract.TAGS")
    result["tags"] = [{"name": tag, "description": TAGS[tag]} for tag in TAGS if tag in used]
    return result


def _null_or_reference(prop: dict) -> None:
    """drf-spectacular writes a nullable nested object as `allOf: [$ref]` + `nullable`, which
    JSON Schema validators refuse (`nullable` without `type`). Say the same with an `anyOf` of
    the object and null that every tool reads alike."""
    if prop.get("nullable") and "type" not in prop and len(prop.get("allOf", [])) == 1:
        prop.pop("nullable")
        prop["anyOf"] = [prop.pop("allOf")[0], {"type": "object", "nullable": True, "enum": [None]}]


def _drop_invalid_error_examples(media: dict, examples: Examples) -> None:
    """drf-standardized-errors adds its stock 401/403/404 examples (`not_authenticated`, ...)
    even where the operation documents narrower codes; keep only those the schema admits."""
    if not media.get("examples"):
        return
    schema = examples.resolve(media.get("schema", {}))
    items = examples.resolve(schema.get("properties", {}).get("errors", {}).get("items", {}))
    allowed = _codes(items, examples)
    if allowed is None:
        return
    for name, example in list(media["examples"].items()):
        errors = example.get("value", {}).get("errors", []) if isinstance(example, dict) else []
        if any(error.get("code") not in allowed for error in errors):
            del media["examples"][name]


def _codes(items: dict, examples: Examples) -> set | None:
    """The codes an error item schema admits, or None if any string is."""
    alternatives = items.get("oneOf") or items.get("anyOf") or [items]
    codes: set = set()
    for alternative in alternatives:
        code = examples.resolve(examples.resolve(alternative).get("properties", {}).get("code", {}))
        if "enum" not in code:
            return None
        codes.update(code["enum"])
    return codes


RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {
        "description": "Requests allowed per window on this endpoint (per client).",
        "schema": {"type": "integer"},
        "example": 10,
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": {"type": "integer"},
        "example": 9,
    },
    "RateLimit-Reset": {
        "description": "Seconds until the oldest counted request leaves the window.",
        "schema": {"type": "integer"},
        "example": 60,
    },
    "RateLimit-Policy": {
        "description": "The policy: `<limit>;w=<window in seconds>`.",
        "schema": {"type": "string"},
        "example": "10;w=60",
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
        "example": 42,
    },
}


class _Action:
    """A view class seen at one action, as `integration_scope` reads a view."""

    def __init__(self, view_class, action: str | None):
        self.integration_scopes = getattr(view_class, "integration_scopes", None)
        self.action = action


def _throttled_operations(generator) -> set[tuple[str, str]]:
    """(path, method) of the operations a ClientScopedRateThrottle with a scope guards, and of
    those an integration client may call (limited per client)."""
    throttled = set()
    for path, _, method, view in getattr(generator, "endpoints", None) or []:
        view_class = getattr(view, "cls", None)
        if getattr(view_class, "throttle_scope", None) and any(
            issubclass(throttle, ClientScopedRateThrottle)
            for throttle in getattr(view_class, "throttle_classes", [])
        ):
            throttled.add((path, method.lower()))
        # What an integration client may call is limited per client (integrations.throttling).
        action = (getattr(view, "actions", None) or {}).get(method.lower())
        if integration_scope(_Action(view_class, action), method) is not None:
            throttled.add((path, method.lower()))
    return throttled


def _add_example(media: dict, value, where: str) -> None:
    if "example" in media or media.get("examples"):
        return
    media["examples"] = {"Example": {"value": value, "summary": "A typical value"}}
